"""Grid search: exhaustive grids, resolution, multi-stage refinement, exhaustion and resume."""

from __future__ import annotations

import itertools
import math

import pytest

from hypernas import (
    Categorical,
    Float,
    GridSearch,
    Int,
    SearchExhausted,
    Space,
    SQLStorage,
    StrategyError,
    TrialState,
    create_study,
    load_study,
)


def keys(study) -> list[str]:
    return [study.space.key(t.params) for t in study.trials]


def test_exhaustive_over_a_finite_space_then_ends_cleanly():
    space = Space({"opt": Categorical(["sgd", "adam", "rmsprop"]), "depth": Int(1, 4), "bn": Categorical([True, False])})
    study = create_study(strategy="grid")
    study.optimize(lambda t: t.params["depth"], space, n_trials=100)  # more than the 24 points
    trials = study.trials
    assert len(trials) == 24
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted(keys(study)) == sorted(space.key(p) for p in space.grid())
    with pytest.raises(SearchExhausted, match="grid search is complete"):
        study.ask()
    study.optimize(lambda t: 0.0, n_trials=5)  # an exhausted grid study just returns
    assert len(study.trials) == 24


def test_resolution_for_continuous_parameters_is_log_aware():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "x": Float(0, 1)})
    study = create_study(strategy=GridSearch(resolution=4))
    study.optimize(lambda t: 0.0, space, n_trials=100)
    assert len(study.trials) == 16
    lrs = sorted({t.params["lr"] for t in study.trials})
    assert lrs == [pytest.approx(v) for v in (1e-4, 1e-3, 1e-2, 1e-1)]
    assert sorted({t.params["x"] for t in study.trials}) == [pytest.approx(v) for v in (0, 1 / 3, 2 / 3, 1)]


def test_grid_respects_conditions():
    space = Space({"opt": Categorical(["sgd", "adam"]), "momentum": Float(0, 0.9, when={"opt": "sgd"})})
    study = create_study(strategy=GridSearch(resolution=3))
    study.optimize(lambda t: 0.0, space)
    assert sorted(keys(study)) == sorted(space.key(p) for p in
                                         [{"opt": "adam"}] + [{"opt": "sgd", "momentum": m} for m in (0.0, 0.45, 0.9)])


def test_shuffle_is_seeded():
    space = Space({"a": Int(0, 9)})
    orders = []
    for seed in (1, 1, 2):
        study = create_study(strategy=GridSearch(shuffle=True, resolution=10), seed=seed)
        study.optimize(lambda t: 0.0, space)
        orders.append([t.params["a"] for t in study.trials])
    assert orders[0] == orders[1] != orders[2]
    assert sorted(orders[0]) == list(range(10)) and orders[0] != list(range(10))


def test_several_asks_before_tells_give_distinct_points():
    study = create_study(strategy=GridSearch(resolution=3), space={"x": Float(0, 1), "y": ["a", "b"]})
    asked = [study.ask() for _ in range(6)]
    assert len({study.space.key(t.params) for t in asked}) == 6
    with pytest.raises(SearchExhausted):
        study.ask()
    for t in asked:
        study.tell(t, 1.0)


def test_enqueued_and_failed_points_are_not_proposed_again():
    space = Space({"x": Int(0, 4)})
    study = create_study(strategy="grid", space=space)
    study.enqueue({"x": 3})

    def objective(trial):
        if trial.params["x"] == 1:
            raise RuntimeError("boom")
        return trial.params["x"]

    study.optimize(objective)
    xs = [t.params["x"] for t in study.trials]
    assert xs[0] == 3 and sorted(xs) == [0, 1, 2, 3, 4]
    assert [t.state for t in study.trials].count(TrialState.FAILED) == 1


def quad(trial) -> float:
    return (math.log10(trial.params["lr"]) + 2.3) ** 2 + (trial.params["x"] - 0.62) ** 2 + (trial.params["opt"] == "sgd")


QUAD_SPACE = {"lr": Float(1e-4, 1e-1, log=True), "x": Float(0, 1), "opt": Categorical(["sgd", "adam"])}


@pytest.mark.parametrize("res", [3, 5])
def test_multi_stage_refinement_narrows_around_the_best(res):
    study = create_study(strategy=GridSearch(resolution=res, stages=3))
    study.optimize(quad, QUAD_SPACE, n_trials=500)
    space = study.space
    trials = study.trials
    first = res * res * 2
    assert len(trials) > first  # later stages ran
    assert len(set(keys(study))) == len(trials)  # no point proposed twice
    assert all(t.state is TrialState.COMPLETE for t in trials)
    stage0_best = min(trials[:first], key=lambda t: t.value)
    later = trials[first:]
    # later stages hold the categorical at the best's value and stay within one stage-0 spacing of it
    assert all(t.params["opt"] == stage0_best.params["opt"] == "adam" for t in later)
    spacing = 1 / (res - 1)
    for t in later:
        for name in ("lr", "x"):
            u = space[name].to_unit(t.params[name])
            assert abs(u - space[name].to_unit(stage0_best.params[name])) <= spacing + 1e-9
    # finer steps than the stage-0 grid, and a better optimum
    assert study.best_value < stage0_best.value
    xs = sorted({t.params["x"] for t in trials})
    assert min(b - a for a, b in itertools.pairwise(xs)) < spacing / 2
    plan = study.strategy_state("grid")
    assert len(plan) == 3 and plan[0] == {"center": None} and plan[1]["center"] == stage0_best.params


def test_multi_stage_maximize_refines_around_the_maximum():
    study = create_study(direction="maximize", strategy=GridSearch(resolution=5, stages=3))
    study.optimize(lambda t: -abs(t.params["x"] - 0.8), {"x": Float(0, 1)})
    xs = [t.params["x"] for t in study.trials]
    assert xs[:5] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert xs[5:7] == [0.625, 0.875]  # stage 1: [0.5, 1] around 0.75, step 1/8
    assert xs[7:] == [0.6875, 0.8125]  # stage 2: [0.625, 0.875] around 0.75, step 1/16
    assert [p["center"] for p in study.strategy_state("grid")] == [None, {"x": 0.75}, {"x": 0.75}]
    assert study.best_params == {"x": 0.8125}


def test_multi_stage_without_any_complete_trial_ends_cleanly():
    study = create_study(strategy=GridSearch(resolution=3, stages=2))

    def fail(trial):
        raise ValueError(f"trial {trial.number} failed")  # not one repeated error, which would stop the study early

    study.optimize(fail, {"x": Float(0, 1)}, n_trials=20)
    assert len(study.trials) == 3 and all(t.state is TrialState.FAILED for t in study.trials)
    with pytest.raises(SearchExhausted, match="without a complete trial"):
        study.ask()


def test_resume_continues_the_stage_plan_from_sqlite(tmp_path):
    strategy = {"type": "grid", "resolution": 3, "stages": 3}
    full = create_study(strategy=strategy)
    full.optimize(quad, QUAD_SPACE)
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    part = create_study("g", url, strategy=strategy)
    part.optimize(quad, QUAD_SPACE, n_trials=len(full.trials) - 4)  # stops inside the last stage
    assert len(part.strategy_state("grid")) == 3
    resumed = load_study("g", SQLStorage(url))
    assert isinstance(resumed.strategy, GridSearch) and resumed.strategy.stages == 3
    resumed.optimize(quad, n_trials=100)
    assert keys(resumed) == keys(full)
    assert resumed.strategy_state("grid") == full.strategy_state("grid")


def test_resume_between_stages(tmp_path):
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    part = create_study("g", url, strategy={"type": "grid", "resolution": 3, "stages": 2})
    part.optimize(quad, QUAD_SPACE, n_trials=18)  # exactly stage 0
    assert part.strategy_state("grid") is None
    resumed = load_study("g", SQLStorage(url))
    resumed.optimize(quad)
    later = resumed.trials[18:]
    assert later and all(t.params["opt"] == "adam" for t in later)
    assert len(set(keys(resumed))) == len(resumed.trials)


def test_too_large_grid_is_refused_with_advice():
    space = {f"x{i}": Float(0, 1) for i in range(10)}
    with pytest.raises(StrategyError, match="more than 1,000,000 grid points at resolution 5; lower the resolution"):
        create_study(strategy="grid", space=space)
