"""Median and percentile pruning on crafted histories, in both directions."""

import pytest

from hypernas.errors import ConfigError
from hypernas.estimate.pruners import MedianPruner, PercentilePruner, make_pruner
from hypernas.record import TrialState

from .helpers import View, flip, make_trial, running

# five finished trials; at step 2 their best-so-far (maximize) are 0.2, 0.4, 0.6, 0.8, 1.0
CURVES = [[0.1, 0.2, 0.3], [0.3, 0.4, 0.5], [0.5, 0.6, 0.7], [0.7, 0.8, 0.9], [0.9, 1.0, 1.0]]


def history(direction: str, curves=CURVES, n_complete: int = 5):
    sign = flip if direction == "minimize" else list
    trials = [make_trial(i, sign(c), TrialState.COMPLETE if i < n_complete else TrialState.PRUNED)
              for i, c in enumerate(curves)]
    return trials, sign


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_median_prunes_a_trial_below_the_median_only(direction):
    trials, sign = history(direction)
    pruner = MedianPruner(n_startup_trials=5)
    bad = running(10, sign([0.1, 0.5]))  # best so far 0.5 < median 0.6
    good = running(11, sign([0.1, 0.7]))
    assert pruner.should_prune(View(direction, trials + [bad]), bad)
    assert not pruner.should_prune(View(direction, trials + [good]), good)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_median_uses_the_trials_best_value_so_far(direction):
    trials, sign = history(direction)
    dipped = running(10, sign([0.9, 0.5]))  # the latest value is bad but the best so far (0.9) is not
    assert not MedianPruner().should_prune(View(direction, trials + [dipped]), dipped)


def test_median_waits_for_startup_trials_warmup_and_interval():
    trials, _ = history("maximize", n_complete=4)  # only four COMPLETE, one PRUNED
    bad = running(10, [0.0, 0.0])
    assert not MedianPruner(n_startup_trials=5).should_prune(View("maximize", trials + [bad]), bad)
    assert MedianPruner(n_startup_trials=4).should_prune(View("maximize", trials + [bad]), bad)
    trials, _ = history("maximize")
    assert not MedianPruner(n_warmup_steps=3).should_prune(View("maximize", trials + [bad]), bad)
    assert not MedianPruner(n_warmup_steps=1, interval_steps=2).should_prune(View("maximize", trials + [bad]), bad)
    assert MedianPruner(n_warmup_steps=0, interval_steps=2).should_prune(View("maximize", trials + [bad]), bad)


def test_median_needs_n_min_trials_at_the_step():
    trials = [make_trial(i, [0.9]) for i in range(5)] + [make_trial(5, [0.9, 0.9])]
    bad = running(10, [0.0, 0.0])  # only one finished trial reached step 2
    assert MedianPruner(n_min_trials=1).should_prune(View("maximize", trials + [bad]), bad)
    assert not MedianPruner(n_min_trials=2).should_prune(View("maximize", trials + [bad]), bad)


def test_pruned_trials_count_as_history():
    trials, _ = history("maximize")
    trials = [t.replace(state=TrialState.PRUNED) if t.number == 4 else t for t in trials]
    bad = running(10, [0.1, 0.5])
    assert MedianPruner(n_startup_trials=4).should_prune(View("maximize", trials + [bad]), bad)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_percentile_keeps_the_top_share(direction):
    trials, sign = history(direction)
    middling = running(10, sign([0.1, 0.7]))  # better than the median, worse than the top quarter
    view = View(direction, trials + [middling])
    assert PercentilePruner(percentile=25.0).should_prune(view, middling)
    assert not PercentilePruner(percentile=75.0).should_prune(view, middling)


def test_no_report_no_prune():
    trials, _ = history("maximize")
    empty = running(10, [])
    assert not MedianPruner().should_prune(View("maximize", trials + [empty]), empty)


def test_bad_options_are_named():
    with pytest.raises(ConfigError, match=r"pruner 'percentile': percentile must be a number in \[0, 100\], got 120"):
        PercentilePruner(percentile=120)
    with pytest.raises(ConfigError, match="pruner 'median': n_warmup_steps must be an integer >= 0, got -1"):
        make_pruner({"type": "median", "n_warmup_steps": -1})
    with pytest.raises(ConfigError, match="pruner 'median': unknown option 'percentile'; allowed: n_startup_trials, n_warmup_steps"):
        make_pruner({"type": "median", "percentile": 30})


def test_by_default_one_complete_trial_starts_pruning_and_pruned_trials_fill_the_reference():
    complete = make_trial(0, [0.5, 0.5, 0.5])
    pruned = [make_trial(i, [0.8], TrialState.PRUNED) for i in (1, 2)]
    bad = running(10, [0.6])  # better than the complete trial, worse than the median of the three at step 1
    assert MedianPruner().n_startup_trials == PercentilePruner().n_startup_trials == 1
    assert MedianPruner().should_prune(View("maximize", [complete, *pruned, bad]), bad)
    assert not MedianPruner(n_startup_trials=2).should_prune(View("maximize", [complete, *pruned, bad]), bad)
    assert not MedianPruner().should_prune(View("maximize", [*pruned, bad]), bad)  # no COMPLETE trial yet
