// The hypernas dashboard: one page, routed by its hash (#/, #/study/NAME, #/study/NAME/trial/N).
// Every URL is relative to the page, so the dashboard works under any base path.
"use strict";

const POLL_MS = 2000;            // how often a study page asks for the trials changed since its cursor
const STUDIES_POLL_MS = 5000;    // how often the list of studies is read again
const PLOTS_EVERY_MS = 30000;    // plots are rebuilt at most this often, and only if trials changed
const PAGE_SIZE = 50;            // trial rows per page of the table
const STATES = ["COMPLETE", "PRUNED", "FAILED", "RUNNING", "WAITING"];

let view = null;
let templatePromise = null;
let plotlyPromise = null;

// --- helpers --------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function num(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = isError ? "error" : "muted";
}

function studyHash(name) { return "#/study/" + encodeURIComponent(name); }

// plotly.js (3.5 MB) loads after the page has shown its data, once, when the first plot is drawn
function plotly() {
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      const script = el("script", {src: "static/plotly.min.js"});
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("plotly.js did not load"));
      document.head.append(script);
    });
  }
  return plotlyPromise;
}

function template() {
  if (!templatePromise) templatePromise = getJSON("api/plot-template");
  return templatePromise;
}

async function draw(node, figure) {
  const [Plotly, base] = await Promise.all([plotly(), template()]);
  await Plotly.react(node, figure.data, Object.assign({template: base}, figure.layout), {responsive: true, displaylogo: false});
}

// --- the list of studies ----------------------------------------------------------------------

class StudiesView {
  constructor(main) {
    this.main = main;
    this.timer = null;
    document.getElementById("crumbs").textContent = "";
    main.replaceChildren(el("h1", {}, "Studies"), el("div", {id: "studies"}, el("p", {class: "muted"}, "Loading…")));
    this.refresh();
  }

  async refresh() {
    try {
      const {studies} = await getJSON("api/studies");
      this.render(studies);
      setStatus("updated " + new Date().toLocaleTimeString());
    } catch (err) {
      setStatus(err.message, true);
    }
    if (this.timer !== false) this.timer = setTimeout(() => this.refresh(), STUDIES_POLL_MS);
  }

  render(studies) {
    const box = document.getElementById("studies");
    if (!studies.length) {
      box.replaceChildren(el("p", {}, "No studies in this storage yet."));
      return;
    }
    const head = el("tr", {}, ["study", "directions", "trials", ...STATES.map((s) => s.toLowerCase()), "best", "created"]
      .map((h) => el("th", {}, h)));
    const rows = studies.map((s) => el("tr", {"data-study": s.name},
      el("td", {}, el("a", {href: studyHash(s.name)}, s.name)),
      el("td", {}, s.directions.join(", ")),
      el("td", {class: "num n-trials"}, s.n_trials),
      STATES.map((state) => el("td", {class: "num state-" + state}, s.counts[state] || 0)),
      el("td", {class: "num"}, (s.best_values || []).map(num).join(", ")),
      el("td", {}, s.created ? s.created.replace("T", " ") : "")));
    box.replaceChildren(el("table", {id: "studies-table"}, el("thead", {}, head), el("tbody", {}, rows)));
  }

  stop() { clearTimeout(this.timer); this.timer = false; }
}

// --- one study ------------------------------------------------------------------------------

class StudyView {
  constructor(main, name) {
    this.name = name;
    this.base = "api/studies/" + encodeURIComponent(name);
    this.trials = new Map();      // number -> row
    this.cursor = 0;
    this.page = 0;
    this.filter = "";
    this.selected = null;
    this.timer = null;
    this.plotsDrawn = 0;
    this.changedSincePlots = false;
    this.completeSeen = -1;
    const crumbs = document.getElementById("crumbs");
    crumbs.replaceChildren(" / ", el("a", {href: studyHash(name)}, name));
    main.replaceChildren(
      el("h1", {}, "Study ", el("span", {id: "study-name"}, name)),
      el("p", {id: "summary"}, el("span", {class: "muted"}, "Loading…")),
      el("div", {id: "best"}),
      el("section", {id: "trial", hidden: ""}),
      el("h2", {}, "Trials"),
      el("div", {class: "pager"},
        el("label", {}, "state ", el("select", {id: "state-filter", onchange: (e) => { this.filter = e.target.value; this.page = 0; this.renderTable(); }},
          el("option", {value: ""}, "all"), STATES.map((s) => el("option", {value: s}, s.toLowerCase())))),
        el("button", {id: "prev", onclick: () => { this.page -= 1; this.renderTable(); }}, "◀ newer"),
        el("span", {id: "page"}),
        el("button", {id: "next", onclick: () => { this.page += 1; this.renderTable(); }}, "older ▶")),
      el("div", {id: "trials"}),
      el("h2", {}, "Plots ", el("button", {id: "refresh-plots", onclick: () => this.drawPlots()}, "refresh")),
      el("div", {id: "plots"}));
    this.start();
  }

  async start() {
    try {
      this.study = await getJSON(this.base);
    } catch (err) {
      document.getElementById("summary").replaceChildren(el("span", {class: "error"}, err.message));
      setStatus(err.message, true);
      return;
    }
    this.renderBest();
    const plots = document.getElementById("plots");
    plots.replaceChildren(...this.study.plots.map((p) => el("div", {"data-plot": p.name},
      el("h3", {}, p.title), el("div", {class: "plot", id: "plot-" + p.name}))));
    await this.poll();
    this.drawPlots();
  }

  async poll() {
    try {
      const update = await getJSON(this.base + "/trials?since=" + this.cursor);
      for (const row of update.trials) this.trials.set(row.number, row);
      this.cursor = update.cursor;
      this.counts = update.counts;
      if (update.trials.length) this.changedSincePlots = true;
      this.renderSummary(update.n_trials);
      this.renderTable();
      if (this.counts.COMPLETE !== this.completeSeen) {
        this.completeSeen = this.counts.COMPLETE;
        this.study = await getJSON(this.base);
        this.renderBest();
      }
      if (this.selected !== null) {
        const row = this.trials.get(this.selected);
        if (row && (row.state === "RUNNING" || row.state === "WAITING" || update.trials.some((t) => t.number === this.selected))) {
          await this.showTrial(this.selected, true);
        }
      }
      if (this.changedSincePlots && Date.now() - this.plotsDrawn > PLOTS_EVERY_MS && this.plotsDrawn) this.drawPlots();
      setStatus("live · updated " + new Date().toLocaleTimeString());
    } catch (err) {
      setStatus(err.message, true);
    }
    if (this.timer !== false) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  renderSummary(total) {
    const parts = STATES.filter((s) => this.counts[s]).map((s) => el("span", {class: "state-" + s}, " · " + this.counts[s] + " " + s.toLowerCase()));
    const objectives = this.study.value_names.map((n, i) => n + " (" + this.study.directions[i] + ")").join(", ");
    document.getElementById("summary").replaceChildren(
      el("span", {id: "n-trials"}, total), " trials", ...parts, el("br"), el("span", {class: "muted"}, "objectives: " + objectives));
  }

  renderBest() {
    const best = this.study.best;
    const label = this.study.value_names.length > 1 ? "Pareto front: " : "Best: ";
    const box = document.getElementById("best");
    if (!best.length) { box.replaceChildren(el("p", {class: "muted"}, "No trial has completed yet.")); return; }
    box.replaceChildren(el("p", {}, label, best.slice(0, 20).map((b, i) => [i ? ", " : "",
      el("a", {href: studyHash(this.name) + "/trial/" + b.number}, "trial " + b.number),
      " (" + b.values.map(num).join(", ") + ")"]), best.length > 20 ? " and " + (best.length - 20) + " more" : ""));
  }

  renderTable() {
    if (!this.study) return;
    const rows = [...this.trials.values()].filter((t) => !this.filter || t.state === this.filter).reverse();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    document.getElementById("page").textContent = "page " + (this.page + 1) + " of " + pages + " (" + rows.length + " trials)";
    document.getElementById("prev").disabled = this.page === 0;
    document.getElementById("next").disabled = this.page >= pages - 1;
    const shown = rows.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    const params = [...new Set(shown.flatMap((t) => Object.keys(t.params)))];
    const names = this.study.value_names;
    const head = el("tr", {}, ["#", "state", ...names, ...params, "step", "seconds", "error"].map((h) => el("th", {}, h)));
    const body = shown.map((t) => el("tr", {class: "trial-row" + (t.number === this.selected ? " selected" : ""), "data-number": t.number,
      onclick: () => { location.hash = studyHash(this.name) + "/trial/" + t.number; }},
      el("td", {class: "num"}, t.number),
      el("td", {class: "state-" + t.state}, t.state.toLowerCase()),
      names.map((_, i) => el("td", {class: "num"}, t.values ? num(t.values[i]) : "")),
      params.map((p) => el("td", {}, t.params[p] === undefined ? "" : el("code", {}, t.params[p]))),
      el("td", {class: "num"}, t.last_step === null ? "" : t.last_step + (t.intermediate && t.intermediate.length ? " (" + num(t.intermediate[t.intermediate.length - 1][1]) + ")" : "")),
      el("td", {class: "num"}, t.duration === null ? "" : t.duration.toFixed(2)),
      el("td", {class: "error"}, t.error || "")));
    document.getElementById("trials").replaceChildren(el("table", {id: "trials-table"}, el("thead", {}, head), el("tbody", {}, body)));
  }

  async drawPlots() {
    this.plotsDrawn = Date.now();
    this.changedSincePlots = false;
    for (const p of this.study.plots) {
      if (this.timer === false) return;
      const box = document.getElementById("plot-" + p.name);
      try {
        const plot = await getJSON(this.base + "/plots/" + p.name);
        if (plot.figure) await draw(box, plot.figure);
        else { (await plotly()).purge(box); box.replaceChildren(el("p", {class: "muted"}, plot.reason)); box.style.minHeight = "0"; }
      } catch (err) {
        box.replaceChildren(el("p", {class: "error"}, err.message));
      }
    }
  }

  async showTrial(number, refresh) {
    const box = document.getElementById("trial");
    if (number === null) { this.selected = null; box.hidden = true; this.renderTable(); return; }
    if (!refresh) {
      this.selected = number;
      this.renderTable();
      box.hidden = false;
      box.replaceChildren(el("h2", {}, "Trial " + number), el("p", {class: "muted"}, "Loading…"));
    }
    let t;
    try {
      t = await getJSON(this.base + "/trials/" + number);
    } catch (err) {
      box.replaceChildren(el("h2", {}, "Trial " + number), el("p", {class: "error"}, err.message));
      return;
    }
    if (this.selected !== number) return;
    const rows = [];
    t.value_names.forEach((n, i) => rows.push([n, t.values ? num(t.values[i]) : ""]));
    for (const [k, v] of Object.entries(t.params)) rows.push([k, el("code", {}, v)]);
    for (const [k, v] of Object.entries(t.user_attrs)) rows.push([k, v]);
    rows.push(["started", t.start ? t.start.replace("T", " ") : ""], ["finished", t.complete ? t.complete.replace("T", " ") : ""]);
    if (t.duration !== null) rows.push(["seconds", t.duration.toFixed(2)]);
    const curve = el("div", {class: "curve", id: "trial-curve"});
    const drawings = t.drawings.map((d) => {
      const holder = el("div", {class: "arch", "data-param": d.param}, el("p", {class: "muted"}, d.param));
      if (d.svg) holder.insertAdjacentHTML("beforeend", d.svg);  // drawn by hypernas, its text escaped
      else holder.append(el("p", {class: "error"}, d.reason));
      return holder;
    });
    const parts = [
      el("h2", {}, "Trial " + t.number + " ", el("span", {class: "state-" + t.state}, t.state.toLowerCase()),
        " ", el("a", {href: studyHash(this.name), class: "muted"}, "close")),
      el("table", {id: "trial-fields"}, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))),
      t.error ? el("pre", {class: "error"}, t.error) : null,
      t.intermediate.length ? curve : null,
      ...drawings];
    box.replaceChildren(...parts.filter((part) => part !== null));
    if (t.intermediate.length) {
      await draw(curve, {data: [{x: t.intermediate.map((p) => p[0]), y: t.intermediate.map((p) => p[1]), mode: "lines+markers", name: "trial " + t.number}],
        layout: {title: {text: "intermediate values"}, xaxis: {title: {text: "step"}}, margin: {t: 40}}});
    }
  }

  stop() { clearTimeout(this.timer); this.timer = false; }
}

// --- routing --------------------------------------------------------------------------------

function route() {
  const main = document.getElementById("main");
  const match = location.hash.match(/^#\/study\/([^/]+)(?:\/trial\/(\d+))?$/);
  if (!match) {
    if (view) view.stop();
    view = new StudiesView(main);
    return;
  }
  const name = decodeURIComponent(match[1]);
  const trial = match[2] === undefined ? null : Number(match[2]);
  if (!(view instanceof StudyView) || view.name !== name) {
    if (view) view.stop();
    view = new StudyView(main, name);
  }
  view.showTrial(trial, false);
}

window.addEventListener("hashchange", route);
route();
