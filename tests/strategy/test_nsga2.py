"""NSGA-II: Pareto fronts, constraints, conditional and architecture-like spaces, exact resume."""

from __future__ import annotations

import pytest

import hypernas as hn
from tests.strategy.hpo_cases import SPHERE_SPACE, assert_resumes_exactly, distinct, front_hypervolume, sphere, two_objectives

SMALL = {"type": "nsga2", "population_size": 10}


def test_nsga2_builds_a_better_pareto_front_than_random() -> None:
    def run(strategy: object) -> hn.Study:
        study = hn.create_study(strategy=strategy, directions=["minimize", "minimize"], seed=0, space=SPHERE_SPACE)
        study.optimize(two_objectives, n_trials=80)
        return study

    ga, rnd = run(SMALL), run("random")
    assert len(ga.best_trials) >= 8
    assert front_hypervolume(ga) > front_hypervolume(rnd)
    front_y = [abs(t.params["y"]) for t in ga.best_trials]
    assert sorted(front_y)[len(front_y) // 2] < 0.2  # the true front has y = 0


def test_nsga2_optimizes_one_objective_too() -> None:
    study = hn.create_study(strategy=SMALL, seed=1, space=SPHERE_SPACE)
    study.optimize(sphere, n_trials=80)
    assert study.best_value < 0.05


def test_constrained_domination_prefers_feasible_trials() -> None:
    def objective(trial: hn.Trial) -> tuple[float, float]:
        trial.set_user_attr("constraint", 0.5 - trial.params["x"])  # feasible when x >= 0.5
        return two_objectives(trial)

    study = hn.create_study(strategy=SMALL, directions=["minimize", "minimize"], seed=2, space=SPHERE_SPACE)
    study.optimize(objective, n_trials=60)
    late = study.trials[40:]
    assert sum(t.user_attrs["constraint"] <= 0 for t in late) >= 15


def test_conditional_and_categorical_spaces_are_bred_correctly() -> None:
    space = hn.Space({"kind": hn.Categorical(["conv", "mlp"]), "kernel": hn.Int(1, 7, step=2, when={"kind": "conv"}),
                      "width": hn.Int(16, 512, log=True), "drop": hn.Float(0.0, 0.5, when={"kind": "mlp"})})

    def objective(trial: hn.Trial) -> tuple[float, float]:
        p = trial.params
        err = 0.2 if p["kind"] == "mlp" else 0.1 + abs(p["kernel"] - 3) * 0.02
        return err + 10.0 / p["width"], p["width"] / 512

    study = hn.create_study(strategy=SMALL, directions=["minimize", "minimize"], seed=3, space=space)
    study.optimize(objective, n_trials=50)
    for t in study.trials:
        assert space.validate(t.params) == t.params
    front = study.best_trials
    assert sum(t.params["kind"] == "conv" for t in front) > len(front) / 2
    assert min(front, key=lambda t: t.values[0]).params["kind"] == "conv"


def test_same_seed_and_history_give_the_same_proposal_also_after_reload(tmp_path) -> None:
    assert_resumes_exactly(SMALL, 23, seed=4, db=tmp_path / "ga.db")


def test_parallel_asks_get_distinct_children() -> None:
    study = hn.create_study(strategy=SMALL, seed=5, space=SPHERE_SPACE)
    study.optimize(sphere, n_trials=20)
    assert distinct([study.ask().params for _ in range(4)]) == 4


def test_bad_options_are_named() -> None:
    with pytest.raises(hn.StrategyError, match=r"population_size must be an integer >= 2, got 1"):
        hn.make_strategy({"type": "nsga2", "population_size": 1})
    with pytest.raises(hn.StrategyError, match=r"nsga2: mutation_prob must be a number in \[0, 1\] or None, got 2"):
        hn.make_strategy({"type": "nsga2", "mutation_prob": 2})
