"""The architecture weights a one-shot search recorded, drawn over epochs: panels, lines, checks, images, report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import hypernas as hn
from hypernas import PlotError
from hypernas.record import ARCH_WEIGHTS_ATTR
from hypernas.viz import StudyRecord, plot_arch_weights, report_html, save_image, to_matplotlib

OPS = ["none", "skip_connect", "conv_3x3"]
EDGES = ["0→1", "0→2", "1→2"]


def softmax(row: list[float]) -> list[float]:
    total = sum(math.exp(v) for v in row)
    return [math.exp(v) / total for v in row]


def history(epochs: int, cells: tuple[str, ...] = ("normal", "reduce")) -> dict[str, Any]:
    """Weights drifting towards skip_connect on every edge: a collapse."""
    return {"ops": OPS, "edges": EDGES,
            "epochs": [{cell: [softmax([0.0, 0.3 * e, 0.1 * k]) for k in range(len(EDGES))] for cell in cells}
                       for e in range(epochs)]}


def titles(fig: Any) -> list[str]:
    """The panels' titles (their x axes'), in the order of the panels."""
    axes = sorted((k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")), key=lambda k: int(k[5:] or 1))
    return [fig.layout[k].title.text for k in axes]


def study_with(weights: Any) -> hn.Study:
    """Trial 1 holds ``weights`` as its architecture weights, as they are (to check malformed ones)."""
    study = hn.create_study(strategy="random", seed=0, space={"x": hn.Float(0, 1)})
    study.optimize(lambda t: t.params["x"], n_trials=1)
    trial = study.ask()
    study.storage.set_trial_attr(trial.trial_id, ARCH_WEIGHTS_ATTR, weights, system=True)
    study.tell(trial, 0.5)
    return study


def test_a_trial_records_its_weights_epoch_by_epoch() -> None:
    study = hn.create_study(strategy="random", seed=0, space={"x": hn.Float(0, 1)})
    trial = study.ask()
    for epoch in history(3)["epochs"]:
        trial.record_arch_weights(OPS, EDGES, epoch)
    study.tell(trial, 0.5)
    assert study.trials[0].system_attrs[ARCH_WEIGHTS_ATTR] == history(3)
    with pytest.raises(hn.HypernasError, match="architecture weights"):
        study.ask().record_arch_weights(OPS, EDGES, {"cell": [[math.nan, 0, 1]] * 3})


def test_one_panel_per_edge_and_cell_one_line_per_operation() -> None:
    fig = plot_arch_weights(study_with(history(5)))
    assert len(fig.data) == 2 * len(EDGES) * len(OPS)
    assert [t.name for t in fig.data if t.showlegend] == OPS
    assert titles(fig) == [f"{cell} edge {edge}" for cell in ("normal", "reduce") for edge in EDGES]
    skip = next(t for t in fig.data if t.name == "skip_connect")
    assert list(skip.x) == [1, 2, 3, 4, 5] and skip.y[-1] > skip.y[0]
    assert "trial 1" in fig.layout.title.text


def test_a_single_cell_type_has_edge_titles_only() -> None:
    fig = plot_arch_weights(study_with(history(2, cells=("cell",))))
    assert titles(fig) == [f"edge {edge}" for edge in EDGES]


@pytest.mark.parametrize(("weights", "message"), [
    ("text", "must be a mapping with ops, edges and epochs, got str"),
    ({"ops": [], "edges": EDGES, "epochs": [{}]}, "must name its ops and edges as non-empty lists of strings"),
    ({"ops": OPS, "edges": EDGES, "epochs": []}, "must hold a non-empty list of epochs"),
    ({"ops": OPS, "edges": EDGES, "epochs": [{"cell": [[1, 0, 0]] * 3}, {"other": [[1, 0, 0]] * 3}]},
     "epoch 1 has cell types ['other'], epoch 0 has ['cell']"),
    ({"ops": OPS, "edges": EDGES, "epochs": [{"cell": [[1, 0]] * 3}]}, "cell 'cell' must be 3 edges x 3 finite numbers"),
])
def test_a_malformed_record_is_one_plot_error(weights: Any, message: str) -> None:
    with pytest.raises(PlotError, match="trial 1's 'arch_weights'") as info:
        plot_arch_weights(study_with(weights))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_study_without_one_shot_search_says_so() -> None:
    study = hn.create_study(strategy="random", seed=0, space={"x": hn.Float(0, 1)})
    study.optimize(lambda t: t.params["x"], n_trials=2)
    with pytest.raises(PlotError, match="no trial of study .* recorded architecture weights"):
        plot_arch_weights(study)
    with pytest.raises(PlotError, match="trial 0 of study .* recorded no architecture weights"):
        plot_arch_weights(study, trial=0)
    with pytest.raises(PlotError, match="has no trial 7"):
        plot_arch_weights(study, trial=7)


def test_drawn_as_an_image_and_in_the_report(tmp_path: Path) -> None:
    study = study_with(history(4))
    assert len(to_matplotlib(plot_arch_weights(study)).axes) == 2 * len(EDGES)
    assert save_image(plot_arch_weights(study), tmp_path / "weights.svg").read_text().lstrip().startswith("<?xml")
    html = report_html(StudyRecord.of(study))
    assert 'id="plot-arch_weights"' in html and "Architecture weights by epoch" in html
