"""Threshold and patience pruning, alone and wrapped around another pruner."""

import pytest

from hypernas.errors import ConfigError
from hypernas.estimate.pruners import MedianPruner, PatiencePruner, ThresholdPruner, make_pruner

from .helpers import View, flip, make_trial, running


def test_threshold_prunes_outside_the_range():
    pruner = ThresholdPruner(lower=0.1, upper=5.0)
    for curve, expected in (([1.0, 6.0], True), ([1.0, 0.05], True), ([6.0, 1.0], False)):
        t = running(0, curve)
        assert pruner.should_prune(View("minimize", [t]), t) is expected


def test_threshold_warmup_and_interval():
    t = running(0, [float("1e9")] * 4)
    assert not ThresholdPruner(upper=10, n_warmup_steps=5).should_prune(View("minimize", [t]), t)
    assert not ThresholdPruner(upper=10, n_warmup_steps=1, interval_steps=2).should_prune(View("minimize", [t]), t)
    assert ThresholdPruner(upper=10, n_warmup_steps=2, interval_steps=2).should_prune(View("minimize", [t]), t)


def test_threshold_needs_a_bound():
    with pytest.raises(ConfigError, match="pruner 'threshold': give lower=, upper= or both"):
        make_pruner("threshold")
    with pytest.raises(ConfigError, match=r"lower \(2\) must not exceed upper \(1\)"):
        ThresholdPruner(lower=2, upper=1)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_patience_alone_prunes_a_stalled_trial(direction):
    sign = flip if direction == "minimize" else list
    pruner = PatiencePruner(patience=2)
    stalled = running(0, sign([0.5, 0.8, 0.7, 0.8]))  # no gain over 0.8 in the last two reports
    improving = running(1, sign([0.5, 0.8, 0.7, 0.81]))
    short = running(2, sign([0.5, 0.4]))
    assert pruner.should_prune(View(direction, [stalled]), stalled)
    assert not pruner.should_prune(View(direction, [improving]), improving)
    assert not pruner.should_prune(View(direction, [short]), short)
    assert PatiencePruner(patience=2, min_delta=0.05).should_prune(View(direction, [improving]), improving)


def test_patience_wrapping_another_pruner_needs_both():
    history = [make_trial(i, [0.9, 0.9, 0.9, 0.9]) for i in range(5)]
    stalled_bad = running(10, [0.5, 0.6, 0.6, 0.6])
    rising_bad = running(11, [0.1, 0.2, 0.3, 0.4])
    stalled_good = running(12, [0.95, 0.95, 0.95, 0.95])
    pruner = make_pruner({"type": "patience", "patience": 2, "wrapped": {"type": "median"}})
    assert isinstance(pruner.wrapped, MedianPruner)
    assert pruner.should_prune(View("maximize", history + [stalled_bad]), stalled_bad)
    assert not pruner.should_prune(View("maximize", history + [rising_bad]), rising_bad)
    assert not pruner.should_prune(View("maximize", history + [stalled_good]), stalled_good)
    assert pruner.to_config()["wrapped"]["type"] == "median"


def test_patience_bad_options():
    with pytest.raises(ConfigError, match="pruner 'patience': patience must be an integer >= 1, got 0"):
        PatiencePruner(patience=0)
    with pytest.raises(ConfigError, match="unknown pruner 'nope'"):
        PatiencePruner(wrapped="nope")
