"""Strategies compared from ``hypernas bench nas --json``: mean incumbent curve with a band over seeds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hypernas import PlotError
from hypernas.viz import plot_strategy_comparison, to_matplotlib

RESULTS = [
    {"strategy": "random", "dataset": "cifar10", "curves": [[80.0, 85.0, 85.0, 90.0], [82.0, 82.0, 88.0, 88.0]]},
    {"strategy": "evolution", "dataset": "cifar10", "curves": [[float("nan"), 86.0, 91.0, 92.0], [84.0, 84.0, 90.0, 93.0]]},
]


def test_each_strategy_has_its_mean_and_a_band_of_one_standard_deviation(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(RESULTS))  # as bench nas writes it (NaN before a seed's first result)
    fig = plot_strategy_comparison(path)
    assert len(fig.data) == 6
    upper, lower, mean = fig.data[:3]
    assert list(mean.y) == [81.0, 83.5, 86.5, 89.0] and mean.name == "random (89.00)"
    assert list(upper.y) == pytest.approx(np.array(mean.y) + [1, 1.5, 1.5, 1])
    assert lower.fill == "tonexty" and list(lower.y) == pytest.approx(np.array(mean.y) - [1, 1.5, 1.5, 1])
    assert next(iter(fig.data[5].y)) == 84.0  # a seed without a result yet is left out of the mean
    assert fig.layout.xaxis.title.text == "evaluations" and "2 seeds" in fig.layout.title.text
    figure = to_matplotlib(fig)
    assert len(figure.axes[0].collections) == 2  # the two bands


@pytest.mark.parametrize(("results", "message"), [
    ([{"strategy": "random", "mean": 90.0}], "benchmark result 'random' has no per-seed incumbent curves"),
    ([], "benchmark results must be the non-empty list"),
    ("missing.json", "cannot read benchmark results from 'missing.json'"),
])
def test_results_without_curves_are_one_line(results, message):
    with pytest.raises(PlotError, match=message):
        plot_strategy_comparison(results)
