"""TPE: finds optima, handles log/int/categorical/conditional spaces, pending trials, several objectives."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hypernas as hn
from hypernas.space import Param
from tests.strategy.hpo_cases import SPHERE_SPACE, assert_resumes_exactly, distinct, front_hypervolume, sphere, two_objectives


@pytest.mark.parametrize("multivariate", [True, False])
def test_tpe_finds_the_optimum_of_a_sphere(multivariate: bool) -> None:
    tpe = hn.create_study(strategy={"type": "tpe", "multivariate": multivariate}, seed=1, space=SPHERE_SPACE)
    tpe.optimize(sphere, n_trials=80)
    rnd = hn.create_study(strategy="random", seed=1, space=SPHERE_SPACE)
    rnd.optimize(sphere, n_trials=80)
    assert tpe.best_value < 0.01
    assert tpe.best_value < rnd.best_value


def test_tpe_handles_log_scales_and_integers() -> None:
    space = hn.Space({"lr": hn.Float(1e-6, 1.0, log=True), "layers": hn.Int(1, 20), "width": hn.Int(8, 1024, log=True)})

    def objective(trial: hn.Trial) -> float:
        p = trial.params
        return (math.log10(p["lr"]) + 3) ** 2 + (p["layers"] - 7) ** 2 / 10 + (math.log2(p["width"]) - 6) ** 2

    study = hn.create_study(strategy="tpe", seed=0, space=space)
    study.optimize(objective, n_trials=80)
    best = study.best_params
    assert isinstance(best["layers"], int) and isinstance(best["width"], int)
    assert 1e-4 < best["lr"] < 1e-2
    assert abs(best["layers"] - 7) <= 2 and 32 <= best["width"] <= 128


def test_tpe_searches_conditional_spaces_group_by_group() -> None:
    space = hn.Space({
        "optimizer": hn.Categorical(["sgd", "adam", "rmsprop"]),
        "momentum": hn.Float(0.0, 0.99, when={"optimizer": "sgd"}),
        "beta1": hn.Float(0.5, 0.999, when={"optimizer": "adam"}),
        "eps": hn.Float(1e-8, 1e-4, log=True, when={"optimizer": "adam"}),
        "lr": hn.Float(1e-4, 1.0, log=True),
    })

    def objective(trial: hn.Trial) -> float:
        p = trial.params
        base = {"sgd": 1.0, "adam": 0.0, "rmsprop": 0.7}[p["optimizer"]]
        extra = (p["beta1"] - 0.9) ** 2 * 10 if p["optimizer"] == "adam" else 0.0
        return base + extra + (math.log10(p["lr"]) + 2) ** 2 / 4

    for multivariate in (True, False):
        study = hn.create_study(strategy={"type": "tpe", "multivariate": multivariate}, seed=3, space=space)
        study.optimize(objective, n_trials=60)
        assert study.best_params["optimizer"] == "adam"
        assert study.best_value < 0.05
        late = [t.params["optimizer"] for t in study.trials[30:]]
        assert late.count("adam") > len(late) / 2


def test_same_seed_and_history_give_the_same_proposal_also_after_reload(tmp_path) -> None:
    assert_resumes_exactly("tpe", 15, seed=7, db=tmp_path / "tpe.db")
    assert_resumes_exactly({"type": "tpe", "n_startup_trials": 5}, 15, seed=7, db=tmp_path / "tpe5.db")


def test_pending_trials_spread_parallel_asks() -> None:
    study = hn.create_study(strategy={"type": "tpe", "n_startup_trials": 5}, seed=0, space=SPHERE_SPACE)
    study.optimize(sphere, n_trials=12)
    asked = [study.ask() for _ in range(4)]
    assert distinct([t.params for t in asked]) == 4
    for t in asked:
        study.tell(t, sphere(t))
    assert len(study.get_trials((hn.TrialState.COMPLETE,))) == 16


def test_pruned_and_failed_trials_do_not_break_the_model() -> None:
    study = hn.create_study(strategy={"type": "tpe", "n_startup_trials": 4}, seed=2, space=SPHERE_SPACE)
    for i in range(20):
        t = study.ask()
        if i % 5 == 3:
            t.report(0, 3.0)
            study.tell(t, state="PRUNED")
        elif i % 7 == 6:
            study.tell(t, state="FAILED", error="boom")
        else:
            study.tell(t, sphere(t))
    assert len(study.get_trials((hn.TrialState.PRUNED,))) == 4
    assert study.best_value < 0.5


def test_multi_objective_tpe_builds_a_better_front_than_random() -> None:
    def run(strategy: str) -> hn.Study:
        study = hn.create_study(strategy=strategy, directions=["minimize", "minimize"], seed=4, space=SPHERE_SPACE)
        study.optimize(two_objectives, n_trials=60)
        return study

    tpe, rnd = run("tpe"), run("random")
    assert len(tpe.best_trials) >= 5
    assert front_hypervolume(tpe) > front_hypervolume(rnd)


def test_constraints_steer_tpe_to_feasible_points() -> None:
    def objective(trial: hn.Trial) -> float:
        x, y = trial.params["x"], trial.params["y"]
        trial.set_user_attr("constraint", 1.0 - x)  # feasible when x >= 1
        return x * x + y * y

    study = hn.create_study(strategy={"type": "tpe", "n_startup_trials": 10}, seed=5, space=SPHERE_SPACE)
    study.optimize(objective, n_trials=60)
    feasible = [t for t in study.trials if t.user_attrs["constraint"] <= 0]
    late = [t for t in study.trials[30:] if t.user_attrs["constraint"] <= 0]
    assert min(t.value for t in feasible) < 1.3  # optimum 1 at (1, 0)
    assert len(late) > 10  # random search: a quarter feasible


class _Genotype(Param):
    """A stand-in architecture parameter TPE cannot model."""

    type_name = "genotype_for_test"
    sample = validate = encode = decode = neighbors = mutate = grid = _config_fields = lambda self, *a: None  # type: ignore[assignment]
    default = None  # type: ignore[assignment]
    n_dims = 0  # type: ignore[assignment]


def test_unmodelled_parameter_types_and_bad_options_get_clear_errors() -> None:
    with pytest.raises(hn.StrategyError, match=r"'tpe' cannot search parameter 'cell'.*use .*'random'"):
        hn.create_study(strategy="tpe", space=hn.Space({"cell": _Genotype(), "x": hn.Float(0, 1)}))
    with pytest.raises(hn.StrategyError, match=r"tpe: gamma must be a number in \(0, 1\], got 2"):
        hn.create_study(strategy={"type": "tpe", "gamma": 2})
    with pytest.raises(hn.StrategyError, match=r"n_candidates must be an integer >= 1, got 0"):
        hn.make_strategy({"type": "tpe", "n_candidates": 0})


def test_fixed_parameters_are_kept() -> None:
    space = hn.Space({"x": hn.Float(-2, 2), "y": hn.Float(-2, 2), "tag": hn.Fixed("v1"), "k": hn.Int(3, 3)})
    study = hn.create_study(strategy={"type": "tpe", "n_startup_trials": 3}, seed=0, space=space)
    study.optimize(sphere, n_trials=10)
    assert all(t.params["tag"] == "v1" and t.params["k"] == 3 for t in study.trials)
    assert np.isfinite(study.best_value)


def test_bohb_hyperband_brackets_with_tpe_proposing() -> None:
    import hypernas as hn

    space = hn.Space(x=hn.Float(-5, 5), y=hn.Float(-5, 5))

    def objective(trial):
        return (trial.params["x"] - 1) ** 2 + (trial.params["y"] + 2) ** 2 + 1.0 / trial.budget

    study = hn.create_study(strategy={"type": "hyperband", "base": "tpe", "min_resource": 1, "max_resource": 9,
                                      "reduction_factor": 3}, seed=0, space=space)
    study.optimize(objective, n_trials=80)
    assert isinstance(study.strategy.base, hn.TPE)
    assert study.best_value < 0.5
