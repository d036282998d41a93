"""The study report: one self-contained HTML file, or the plots as image files for a paper.

The HTML file opens offline: plotly.js (from the plotly package) is embedded once, every figure is
inline JSON, every architecture an inline SVG, and nothing is loaded from the network. It shows a
summary, the best trial(s) with their architectures drawn, every plot that applies, and the table
of all trials.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from hypernas.errors import PlotError
from hypernas.record import FrozenTrial
from hypernas.space.params import value_text
from hypernas.study import Study
from hypernas.viz.arch import can_draw, draw_architecture
from hypernas.viz.catalog import PAGE_TEMPLATE, StudyFigure, figure_json, study_figures
from hypernas.viz.matplotlib_render import IMAGE_TYPES, save_image
from hypernas.viz.study_record import StudyRecord, as_record

BEST_SHOWN = 5
"""How many Pareto-optimal trials the report details (all are in the trial table)."""

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; position: sticky; top: 0; } .num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #666; } .plot { width: 100%; min-height: 420px; } .arch svg { max-width: 100%; height: auto; }
.trials { max-height: 40em; overflow: auto; } .state-COMPLETE { color: #1f77b4; } .state-PRUNED { color: #ff7f0e; }
.state-FAILED { color: #d62728; } .state-RUNNING { color: #2ca02c; } code { font-size: 0.9em; word-break: break-all; }
"""


def report_html(study: Study | StudyRecord) -> str:
    """The report of ``study`` as one self-contained HTML page."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    record = as_record(study)
    figures = study_figures(record)
    specs = [{"id": f"plot-{f.name}", **figure_json(f.figure)} for f in figures if f.figure is not None]
    template = pio.templates[PAGE_TEMPLATE].to_plotly_json()
    plotly_js = get_plotlyjs().replace("</script", "<\\/script")  # (it has none: never let one end the tag early)
    body = "\n".join([_summary(record), _best(record), _plots(figures), _trial_table(record)])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(record.name)}: hypernas report</title><style>{_STYLE}</style>"
            f"<script>{plotly_js}</script></head>\n<body>\n{body}\n"
            f"<script>\nconst TEMPLATE = {_json(template)};\nconst FIGURES = {_json(specs)};\n"
            "for (const f of FIGURES) {\n"
            "  Plotly.newPlot(f.id, f.data, Object.assign({template: TEMPLATE}, f.layout),"
            " {responsive: true, displaylogo: false});\n}\n</script>\n</body></html>\n")


def write_report(study: Study | StudyRecord, path: str | Path) -> Path:
    """Write :func:`report_html` of ``study`` to ``path``."""
    path = Path(path)
    path.write_text(report_html(study), encoding="utf-8")
    return path


def write_images(study: Study | StudyRecord, folder: str | Path, image_type: str = "png") -> list[Path]:
    """Every plot that applies as a ``image_type`` file (png, svg or pdf, drawn by matplotlib) in ``folder``
    (created if needed), and the best trials' architectures as SVG files; returns the files written."""
    if image_type not in IMAGE_TYPES:
        raise PlotError(f"image type {image_type!r} is not known; allowed: {', '.join(IMAGE_TYPES)}")
    record = as_record(study)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [save_image(f.figure, folder / f"{f.name}.{image_type}") for f in study_figures(record) if f.figure is not None]
    for trial in record.best_trials()[:BEST_SHOWN]:
        for name, svg in _drawings(record, trial):
            path = folder / f"trial-{trial.number}-{_file_part(name)}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    return written


# --- the page's parts -------------------------------------------------------------------------

def _json(data: Any) -> str:
    """JSON to place inside a ``<script>``: no ``</script>`` or HTML comment can come out of a user's string."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _file_part(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60] or "param"


def _when(dt: datetime | None) -> str:
    return dt.isoformat(sep=" ", timespec="seconds") if dt else "-"


def _summary(record: StudyRecord) -> str:
    counts: dict[str, int] = {}
    for t in record.trials:
        counts[t.state.value] = counts.get(t.state.value, 0) + 1
    starts = [t.datetime_start for t in record.trials if t.datetime_start]
    ends = [t.datetime_complete for t in record.trials if t.datetime_complete]
    busy = sum(t.duration or 0.0 for t in record.trials)
    objectives = ", ".join(f"{escape(n)} ({d.value})" for n, d in zip(record.value_names, record.directions))
    states = ", ".join(f'<span class="state-{s}">{n} {s.lower()}</span>' for s, n in counts.items()) or "no trials"
    space = escape(", ".join(f"{k} ({p.type_name})" for k, p in record.space.items())) if record.space else "not stored"
    return (f"<h1>Study {escape(record.name)}</h1>\n<p class=\"muted\">hypernas report, written "
            f"{_when(datetime.now().replace(microsecond=0))}</p>\n<table>"
            f"<tr><th>objectives</th><td>{objectives}</td></tr>"
            f"<tr><th>trials</th><td>{len(record.trials)}: {states}</td></tr>"
            f"<tr><th>space</th><td>{space}</td></tr>"
            f"<tr><th>ran</th><td>{_when(min(starts, default=None))} to {_when(max(ends, default=None))} (UTC), "
            f"{busy:.1f} trial-seconds</td></tr></table>")


def _drawings(record: StudyRecord, trial: FrozenTrial) -> Iterable[tuple[str, str]]:
    """(parameter name, SVG) of each of ``trial``'s parameters that is a drawable architecture."""
    if record.space is None:
        return
    for name, param in record.space.items():
        if name in trial.params and can_draw(param):
            yield name, draw_architecture(param, trial.params[name])


def _param_text(record: StudyRecord, name: str, value: Any) -> str:
    if record.space is not None and name in record.space:
        return record.space[name].describe(value)
    return value_text(value)


def _best(record: StudyRecord) -> str:
    best = record.best_trials()
    heading = "Pareto front" if record.is_multi_objective else "Best trial"
    if not best:
        return f"<h2>{heading}</h2>\n<p>No trial has completed yet.</p>"
    parts = [f"<h2>{heading}</h2>"]
    if len(best) > BEST_SHOWN:
        parts.append(f"<p>{len(best)} trials are Pareto-optimal; the first {BEST_SHOWN} by trial number are shown here, "
                     "all are in the trial table.</p>")
    for t in best[:BEST_SHOWN]:
        values = ", ".join(f"{escape(n)} = {value_text(v)}" for n, v in zip(record.value_names, t.values or []))
        rows = "".join(f"<tr><th>{escape(k)}</th><td><code>{escape(_param_text(record, k, v))}</code></td></tr>"
                       for k, v in t.params.items())
        rows += "".join(f"<tr><th>{escape(k)}</th><td>{escape(value_text(v))}</td></tr>" for k, v in t.user_attrs.items())
        parts.append(f'<h3 id="best-{t.number}">Trial {t.number}: {values}</h3>\n<table>{rows}</table>')
        parts += [f'<div class="arch"><p class="muted">{escape(name)}</p>{svg}</div>' for name, svg in _drawings(record, t)]
    return "\n".join(parts)


def _plots(figures: list[StudyFigure]) -> str:
    parts = ["<h2>Plots</h2>"]
    for f in figures:
        if f.figure is not None:
            parts.append(f'<h3>{escape(f.title)}</h3>\n<div class="plot" id="plot-{f.name}"></div>')
    missing = [f for f in figures if f.figure is None]
    if missing:
        items = "".join(f"<li>{escape(f.title)}: {escape(f.reason or '')}</li>" for f in missing)
        parts.append(f'<p class="muted">Not drawn:</p><ul class="muted">{items}</ul>')
    return "\n".join(parts)


def _trial_table(record: StudyRecord) -> str:
    names = list(record.value_names)
    params = list(dict.fromkeys(k for t in record.trials for k in t.params))
    head = "".join(f"<th>{escape(h)}</th>" for h in ["#", "state", *names, *params, "seconds", "error"])
    rows = []
    for t in record.trials:
        values = [f'<td class="num">{value_text(v)}</td>' for v in (t.values or [])]
        values += ["<td></td>"] * (len(names) - len(values))
        cells = [f"<td>{escape(_cut(_param_text(record, k, t.params[k])))}</td>" if k in t.params else "<td></td>" for k in params]
        seconds = f"{t.duration:.2f}" if t.duration is not None else ""
        rows.append(f'<tr><td class="num">{t.number}</td><td class="state-{t.state.value}">{t.state.value}</td>'
                    f'{"".join(values)}{"".join(cells)}<td class="num">{seconds}</td><td>{escape(_cut(t.error or ""))}</td></tr>')
    return (f'<h2>Trials</h2>\n<div class="trials"><table><thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody></table></div>")


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
