"""Hyperband: the pruner's bracket assignment, and the scheduler strategy that sets budgets up front."""

from collections import Counter

import pytest

from hypernas import Categorical, Float, Space, create_study, load_study
from hypernas.errors import StrategyError
from hypernas.estimate.pruners import HyperbandPruner
from hypernas.estimate.pruners.hyperband import bracket_sequence, bracket_sizes
from hypernas.record import TrialState
from hypernas.strategy import HyperbandScheduler, RandomSearch, make_strategy

from .helpers import View, make_trial, running


def test_bracket_sizes_follow_hyperband():
    assert bracket_sizes(1, 27, 3) == [27, 12, 6, 4]
    assert bracket_sizes(1, 8, 2) == [8, 6, 4, 4]
    assert bracket_sizes(5, 5, 3) == [1]


def test_bracket_assignment_depends_only_on_the_number_and_matches_the_sizes():
    pruner = HyperbandPruner(max_resource=27)
    again = HyperbandPruner(max_resource=27)
    numbers = range(49 * 3)
    assert [pruner.bracket_of(n) for n in numbers] == [again.bracket_of(n) for n in numbers]
    assert Counter(pruner.bracket_of(n) for n in range(49)) == {0: 27, 1: 12, 2: 6, 3: 4}
    # Hyperband's order: the most aggressive bracket first, then the next, and again
    assert [pruner.bracket_of(n) for n in (0, 26, 27, 38, 39, 44, 45, 48, 49)] == [0, 0, 1, 1, 2, 2, 3, 3, 0]
    assert bracket_sequence([2, 1]) == [0, 0, 1]


def test_hyperband_brackets_stop_at_their_own_rungs_among_their_own_trials():
    pruner = HyperbandPruner(max_resource=27)
    assert [b.rungs for b in pruner.brackets] == [[1, 3, 9], [3, 9], [9], []]
    b0 = [n for n in range(49) if pruner.bracket_of(n) == 0]
    b1 = [n for n in range(49) if pruner.bracket_of(n) == 1]
    strong_elsewhere = make_trial(b1[0], [0.9] * 5)
    me = running(b0[0], [0.1])
    assert not pruner.should_prune(View("maximize", [strong_elsewhere, me]), me)
    strong_same = make_trial(b0[1], [0.9] * 5)
    assert pruner.should_prune(View("maximize", [strong_elsewhere, strong_same, me]), me)
    late = running(b1[1], [0.1])  # bracket 1 first stops at step 3
    assert not pruner.should_prune(View("maximize", [strong_elsewhere, late]), late)


def quadratic(log):
    def objective(trial):
        log.append((trial.number, trial.budget, trial.params["x"]))
        return (trial.params["x"] - 0.3) ** 2 + 1.0 / trial.budget
    return objective


def test_scheduler_runs_successive_halving_brackets_with_budgets():
    log = []
    study = create_study(direction="minimize", seed=1, space={"x": Float(0, 1)},
                         strategy={"type": "hyperband", "min_resource": 1, "max_resource": 9})
    study.optimize(quadratic(log), n_trials=22)
    budgets = [b for _, b, _ in log]
    # bracket 1: 9 configs at 1 epoch, 3 at 3, 1 at 9; bracket 2: 5 at 3, 1 at 9; bracket 3: 3 at 9
    assert budgets == [1] * 9 + [3] * 3 + [9] + [3] * 5 + [9] + [9] * 3
    first = {n: x for n, _, x in log[:9]}
    promoted = [x for _, _, x in log[9:12]]
    ranked = sorted(first, key=lambda n: (first[n] - 0.3) ** 2)
    assert promoted == [first[n] for n in ranked[:3]]
    assert log[12][2] == promoted[0]
    assert len({x for _, _, x in log[13:18]}) == 5 and not {x for _, _, x in log[13:18]} & set(first.values())


def test_scheduler_resumes_the_same_plan(sqlite_url):
    log_a, log_b = [], []
    straight = create_study("a", sqlite_url, direction="minimize", seed=3, space={"x": Float(0, 1)},
                            strategy={"type": "hyperband", "max_resource": 9})
    straight.optimize(quadratic(log_a), n_trials=16)
    resumed = create_study("b", sqlite_url, direction="minimize", seed=3, space={"x": Float(0, 1)},
                           strategy={"type": "hyperband", "max_resource": 9})
    resumed.optimize(quadratic(log_b), n_trials=10)
    again = load_study("b", sqlite_url)
    assert isinstance(again.strategy, HyperbandScheduler) and again.strategy.max_resource == 9
    again.optimize(quadratic(log_b), n_trials=6)
    assert log_a == log_b


def test_scheduler_with_two_workers_finishes_every_trial():
    log = []
    study = create_study(direction="minimize", seed=0, space={"x": Float(0, 1)},
                         strategy={"type": "hyperband", "max_resource": 9, "n_brackets": 1})
    study.optimize(quadratic(log), n_trials=30, n_workers=2)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert {b for _, b, _ in log} == {1, 3, 9}
    plan = study.strategy_state("hyperband")
    for bracket in plan["brackets"]:  # promotions only from a finished rung, best first
        assert bracket["s"] == 2
        for rung in (1, 2):
            for n in bracket["rungs"][rung]:
                assert plan["parents"][str(n)] in bracket["rungs"][rung - 1]


def test_scheduler_base_strategy_sees_one_budget():
    seen = []

    class Recorder(RandomSearch):
        def ask(self, study, trial):
            seen.append((study.budget, sorted(t.number for t in study.get_trials())))
            return super().ask(study, trial)

    scheduler = HyperbandScheduler(base=Recorder(seed=0), max_resource=9, min_points_in_model=2)
    study = create_study(direction="minimize", seed=0, space={"x": Float(0, 1)}, strategy=scheduler)
    study.optimize(quadratic([]), n_trials=14)
    assert seen[0] == (None, [])
    # the 14th trial opens bracket 2: the base strategy then learns from the 3 trials run at budget 3
    assert seen[-1] == (3, [9, 10, 11])


def test_no_budget_without_a_multi_fidelity_strategy():
    budgets = []
    study = create_study(space={"x": Float(0, 1)})
    study.optimize(lambda t: budgets.append(t.budget) or 0.0, n_trials=2)
    assert budgets == [None, None]


def test_scheduler_options_are_checked():
    with pytest.raises(StrategyError, match="hyperband: reduction_factor must be an integer >= 2, got 1"):
        make_strategy({"type": "hyperband", "reduction_factor": 1})
    with pytest.raises(StrategyError, match=r"hyperband: n_brackets must be an integer in \[1, 4\].*got 5"):
        make_strategy({"type": "hyperband", "max_resource": 27, "n_brackets": 5})
    with pytest.raises(StrategyError, match="unknown strategy 'nope'"):
        make_strategy({"type": "hyperband", "base": "nope"})
    float_budgets = HyperbandScheduler(min_resource=0.1, max_resource=0.9)
    assert float_budgets.rung_budget(2, 0) == pytest.approx(0.1)


def test_scheduler_tells_the_base_strategy_with_the_trials_of_the_same_budget():
    heard = []

    class Listener(RandomSearch):
        def tell(self, study, trial):
            heard.append((trial.number, study.budget, trial.number in {t.number for t in study.get_trials()}))

    study = create_study(direction="minimize", seed=0, space={"x": Float(0, 1)},
                         strategy=HyperbandScheduler(base=Listener(seed=0), max_resource=3))
    study.optimize(quadratic([]), n_trials=5)
    # bracket of 3 + 1 ... budgets 1, 1, 1, then the best promoted to 3, then a new bracket at 3
    assert heard == [(0, 1, True), (1, 1, True), (2, 1, True), (3, 3, True), (4, 3, True)]


def test_promotions_running_at_once_keep_their_parents_configuration():
    """Two promoted parents may share a configuration: running both at once is a repeat on purpose, never moved."""
    space = Space({"x": Categorical(["a", "b"])})
    study = create_study(direction="minimize", seed=0, space=space,
                            strategy={"type": "hyperband", "max_resource": 9, "n_brackets": 1})
    study.optimize(lambda t: 0.0 if t.params["x"] == "b" else 1.0, n_trials=9)  # rung 0
    assert sum(t.params["x"] == "b" for t in study.trials) >= 3
    promoted = [study.ask() for _ in range(3)]  # the best three, all "b", pending together
    assert [(t.params["x"], t.budget) for t in promoted] == [("b", 3)] * 3
