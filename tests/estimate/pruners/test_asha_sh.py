"""Asynchronous and synchronous successive halving on crafted histories, and ASHA with parallel workers."""

import threading

import pytest

from hypernas import Float, create_study
from hypernas.errors import ConfigError
from hypernas.estimate.pruners import ASHAPruner, SuccessiveHalvingPruner, make_pruner
from hypernas.record import TrialState

from .helpers import View, flip, make_trial, running


def test_asha_rungs():
    assert ASHAPruner(min_resource=1, reduction_factor=3, max_resource=27).rungs == [1, 3, 9]
    assert ASHAPruner(min_resource=2, reduction_factor=2, min_early_stopping_rate=1, max_resource=16).rungs == [4, 8]
    assert len(ASHAPruner().rungs) == 60  # without max_resource the rungs go on


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_asha_keeps_the_top_third_at_a_rung(direction):
    sign = flip if direction == "minimize" else list
    # at rung 3 (steps 1..3) the best-so-far values are 0.3, 0.5, 0.7, 0.9, 0.4
    history = [make_trial(i, sign([v / 3, v / 2, v])) for i, v in enumerate([0.3, 0.5, 0.7, 0.9, 0.4])]
    pruner = ASHAPruner(min_resource=1, reduction_factor=3, max_resource=27, min_early_stopping_rate=1)
    second = running(10, sign([0.0, 0.0, 0.8]))  # 6 at the rung: the top 2 go on; it is second
    third = running(11, sign([0.0, 0.0, 0.6]))
    assert not pruner.should_prune(View(direction, history + [second]), second)
    assert pruner.should_prune(View(direction, history + [third]), third)


def test_asha_decides_once_when_the_rung_is_reached():
    history = [make_trial(i, [0.9, 0.9, 0.9, 0.9]) for i in range(3)]
    pruner = ASHAPruner(min_resource=3, reduction_factor=3, max_resource=27)
    at_rung = running(10, [0.1, 0.1, 0.1])
    past_rung = running(11, [0.1, 0.1, 0.1, 0.1])
    assert pruner.should_prune(View("maximize", history + [at_rung]), at_rung)
    assert not pruner.should_prune(View("maximize", history + [past_rung]), past_rung)  # promoted before


def test_asha_counts_running_trials_and_bootstrap():
    others = [running(0, [0.9]), make_trial(1, [0.8], TrialState.PRUNED)]
    me = running(2, [0.5])
    assert ASHAPruner(max_resource=9).should_prune(View("maximize", others + [me]), me)
    assert not ASHAPruner(max_resource=9, bootstrap_count=4).should_prune(View("maximize", others + [me]), me)
    alone = running(3, [0.0])
    assert not ASHAPruner(max_resource=9).should_prune(View("maximize", [alone]), alone)


def test_asha_bad_options():
    with pytest.raises(ConfigError, match="pruner 'asha': reduction_factor must be an integer >= 2, got 1"):
        make_pruner({"type": "asha", "reduction_factor": 1})
    with pytest.raises(ConfigError, match=r"pruner 'asha': max_resource \(2\) must be >= min_resource \(4\)"):
        ASHAPruner(min_resource=4, max_resource=2)


def test_asha_with_two_parallel_workers_prunes_against_a_running_trial():
    """Trial 1 reaches rung 1 while trial 0 is still running and better: it stops without waiting."""
    zero_at_rung, one_done = threading.Event(), threading.Event()
    started = threading.Barrier(2, timeout=30)

    def objective(trial):
        if trial.number < 2:
            started.wait()
        if trial.number == 0:
            trial.report(1, 0.9)
            assert not trial.should_prune()
            zero_at_rung.set()
            assert one_done.wait(30)
            for step in (2, 3):
                trial.report(step, 0.95)
                assert not trial.should_prune()
            return 0.95
        if trial.number == 1:
            assert zero_at_rung.wait(30)
            try:
                trial.report(1, 0.2)
                assert trial.should_prune()
                raise_pruned()
            finally:
                one_done.set()
        for step in (1, 2, 3):
            trial.report(step, 0.1 * step)
            if trial.should_prune():
                raise_pruned()
        return 0.3

    study = create_study(direction="maximize", pruner={"type": "asha", "max_resource": 3}, seed=0)
    study.optimize(objective, {"x": Float(0, 1)}, n_trials=6, n_workers=2)
    trials = study.trials
    assert trials[0].state is TrialState.COMPLETE and trials[0].intermediate == {1: 0.9, 2: 0.95, 3: 0.95}
    assert trials[1].state is TrialState.PRUNED
    assert trials[1].intermediate == {1: 0.2} and trials[1].values == [0.2]
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    for t in trials:  # every stop happened at a rung
        if t.state is TrialState.PRUNED:
            assert max(t.intermediate) in (1,)


def raise_pruned():
    from hypernas import TrialPruned

    raise TrialPruned()


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_successive_halving_quota_over_the_cohort(direction):
    sign = flip if direction == "minimize" else list
    pruner = SuccessiveHalvingPruner(max_resource=9, min_resource=1, reduction_factor=3)
    assert pruner.rungs == [1, 3] and pruner.cohort_size == 9
    assert [pruner.quota(0), pruner.quota(1)] == [3, 1]
    cohort = [make_trial(i, sign([0.9 - 0.1 * i] * 3)) for i in range(3)]  # 0.9, 0.8, 0.7
    fourth = running(3, sign([0.6]))
    second = running(4, sign([0.85]))
    assert pruner.should_prune(View(direction, cohort + [fourth]), fourth)  # three better at rung 1
    assert not pruner.should_prune(View(direction, cohort + [second]), second)
    # at rung 3 only one goes on: trial 0 (0.9) beats it, at any later report
    later = running(4, sign([0.85, 0.85, 0.85, 0.85]))
    assert pruner.should_prune(View(direction, cohort + [later]), later)


def test_successive_halving_stops_a_trial_once_it_cannot_make_the_cut():
    pruner = SuccessiveHalvingPruner(max_resource=9, cohort_size=6)  # rung 1 keeps 2, rung 3 keeps 1
    me = running(0, [0.5, 0.5])
    assert not pruner.should_prune(View("maximize", [me]), me)
    # two later cohort members beat it at rung 1: it is stopped at its next report, past the rung
    rivals = [running(1, [0.8]), running(2, [0.7])]
    assert pruner.should_prune(View("maximize", [me] + rivals), me)


def test_successive_halving_cohorts_are_separate():
    pruner = SuccessiveHalvingPruner(max_resource=3, reduction_factor=3, cohort_size=3)  # rung 1 keeps 1
    first_cohort = [make_trial(0, [0.9, 0.9, 0.9])]
    next_cohort = running(3, [0.1])
    assert not pruner.should_prune(View("maximize", first_cohort + [next_cohort]), next_cohort)
    same_cohort = running(1, [0.1])
    assert pruner.should_prune(View("maximize", first_cohort + [same_cohort]), same_cohort)


def test_successive_halving_needs_a_maximum():
    with pytest.raises(ConfigError, match="pruner 'successive_halving'.*max_resource"):
        make_pruner("successive_halving")
    with pytest.raises(ConfigError, match=r"max_resource \(1\) must be > min_resource \(1\)"):
        SuccessiveHalvingPruner(max_resource=1)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_rungs_judge_the_value_at_the_rung_not_an_earlier_peak(direction):
    sign = flip if direction == "minimize" else list
    faded = make_trial(0, sign([0.95, 0.1, 0.1]))  # peaked at step 1, worth 0.1 at rung 3
    steady = make_trial(1, sign([0.5, 0.5, 0.5]))
    low = make_trial(4, sign([0.1, 0.1, 0.1]))
    asha = ASHAPruner(min_resource=3, reduction_factor=2, max_resource=27)  # rung 3 keeps the top half
    me = running(2, sign([0.2, 0.3, 0.4]))  # below faded's peak but above its value at the rung: second of four
    assert not asha.should_prune(View(direction, [faded, steady, low, me]), me)
    peaked = running(3, sign([0.9, 0.3, 0.2]))  # its own early peak does not carry it: third of five
    done = me.replace(state=TrialState.COMPLETE)
    assert asha.should_prune(View(direction, [faded, steady, low, done, peaked]), peaked)
    sh = SuccessiveHalvingPruner(max_resource=9, min_resource=3, reduction_factor=3, cohort_size=3)  # rung 3 keeps 1
    assert sh.should_prune(View(direction, [steady, peaked]), peaked.replace(number=2))
    assert not sh.should_prune(View(direction, [faded, me]), me)
