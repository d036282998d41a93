"""The report: one self-contained HTML file (plotly.js inline once, nothing from the network), the best
trial and its architecture, every plot that applies, the trial table; the plots as image files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from PIL import Image

import hypernas as hn
from hypernas.viz import StudyRecord, report_html, study_figures, write_images, write_report

PLOTLY_BANNER = "* plotly.js v"


def figures_of(html: str) -> list[dict]:
    """The figures the page draws (its last script's FIGURES)."""
    return json.loads(re.search(r"const FIGURES = (.*);\n", html).group(1))


def test_the_report_is_one_self_contained_page(single, tmp_path):
    path = write_report(single, tmp_path / "report.html")
    html = path.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count(PLOTLY_BANNER) == 1
    assert html.count("<script") == 2  # plotly.js, then the figures
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", html)  # nothing loaded from anywhere
    assert "cdn.plot.ly" not in html.split("<body>")[1]
    assert [f["id"] for f in figures_of(html)] == ["plot-history", "plot-intermediate", "plot-importance",
                                                    "plot-parallel", "plot-slice", "plot-contour", "plot-timeline"]
    assert all(f'id="{f["id"]}"' in html for f in figures_of(html))
    assert "Pareto front: study &#x27;single&#x27; has one objective" in html  # why a plot is not drawn
    assert '"template"' not in html.split("<body>")[1] and "const TEMPLATE = {" in html  # one template for all


def test_the_report_shows_the_best_trial_with_its_architecture_and_every_trial(single):
    html = report_html(single)
    (best,) = single.best_trials()
    assert f'<h3 id="best-{best.number}">Trial {best.number}: value = ' in html
    section = html.split(f'id="best-{best.number}"')[1].split("<h2>")[0]
    svg = section[section.index("<svg"):section.index("</svg>") + len("</svg>")]
    labels = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    ops = [op for op in hn.NB201Cell().to_ops(best.params["cell"]) if op != "none"]
    assert sorted(label for label in labels if "_" in label) == sorted(ops)
    table = html.split("<h2>Trials</h2>")[1]
    assert table.count("<tr><td") == len(single.trials) and table.count(">FAILED<") == 3
    assert "diverged &lt;at step 0&gt;" in table


def test_several_objectives_show_the_pareto_front(multi):
    html = report_html(multi)
    assert "<h2>Pareto front</h2>" in html and "plot-pareto" in html
    front = multi.best_trials()
    assert html.count('<div class="arch">') == min(len(front), 5)  # the DARTS genotypes drawn
    assert "normal cell" in html and "reduce cell" in html


def test_user_strings_cannot_break_out_of_the_page():
    study = hn.create_study("</script><script>alert(1)</script>", strategy="random", seed=0)
    evil = "</script><img src=x onerror=alert(2)>"
    study.optimize(lambda t: 1.0 if t.params["name"] == evil else 2.0,
                   {"name": hn.Categorical([evil, "<b>plain</b>"]), "x": hn.Float(0, 1)}, n_trials=6)
    html = report_html(study)
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "<img" not in html and "<b>plain" not in html
    assert figures_of(html)  # the figures' JSON still parses


def test_a_study_without_complete_trials_has_a_short_report(empty):
    html = report_html(empty)
    assert "No trial has completed yet." in html and "Optimization history: study &#x27;empty&#x27; has no" in html
    assert figures_of(html) == []


def test_the_plots_as_png_files_and_the_best_architecture_as_svg(single, tmp_path):
    files = write_images(single, tmp_path / "figures")
    names = sorted(p.name for p in files)
    (best,) = single.best_trials()
    assert names == sorted(["history.png", "intermediate.png", "importance.png", "parallel.png", "slice.png",
                            "contour.png", "timeline.png", f"trial-{best.number}-cell.svg"])
    for path in files:
        if path.suffix == ".png":
            with Image.open(path) as image:
                assert image.format == "PNG"
        else:
            ET.fromstring(path.read_text())


def test_figures_say_why_a_plot_does_not_apply(multi):
    shown = {f.name: f for f in study_figures(multi)}
    assert shown["pareto"].figure is not None and shown["intermediate"].figure is None
    assert "reported intermediate values" in (shown["intermediate"].reason or "")
    assert isinstance(multi, StudyRecord)
