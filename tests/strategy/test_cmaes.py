"""CMA-ES: converges on continuous and integer spaces, restarts, resumes exactly, refuses what it cannot search."""

from __future__ import annotations

import json
import pickle

import pytest

import hypernas as hn
from hypernas.strategy.cma_es import _optimizer_from_json, _optimizer_to_json
from tests.strategy.hpo_cases import SPHERE_SPACE, assert_resumes_exactly, distinct, sphere


def test_cmaes_converges_on_a_mixed_continuous_integer_space() -> None:
    space = hn.Space({"x": hn.Float(-2, 2), "n": hn.Int(-5, 5), "lr": hn.Float(1e-5, 1.0, log=True), "tag": hn.Fixed(1)})

    def objective(trial: hn.Trial) -> float:
        import math

        p = trial.params
        return (p["x"] - 0.3) ** 2 + (p["n"] - 2) ** 2 + (math.log10(p["lr"]) + 2) ** 2

    study = hn.create_study(strategy="cmaes", seed=0, space=space)
    study.optimize(objective, n_trials=100)
    best = study.best_params
    assert best["n"] == 2 and isinstance(best["n"], int)
    assert study.best_value < 0.05


def test_cmaes_maximizes_too() -> None:
    study = hn.create_study(strategy="cmaes", direction="maximize", seed=1, space=SPHERE_SPACE)
    study.optimize(lambda t: -sphere(t), n_trials=80)
    assert study.best_value > -1e-2


def test_ipop_restarts_with_a_larger_population_when_converged() -> None:
    study = hn.create_study(strategy={"type": "cmaes", "population_size": 4}, seed=0, space=SPHERE_SPACE)
    study.optimize(lambda t: 1.0, n_trials=150)
    state = study.strategy_state("cmaes")
    assert state["restart"] >= 1
    assert _optimizer_from_json(state["optimizer"]).population_size == 8


def test_the_state_is_json_and_rebuilds_the_optimizer_exactly() -> None:
    study = hn.create_study(strategy={"type": "cmaes", "population_size": 4}, seed=0,
                            space=hn.Space({"x": hn.Float(0, 1), "n": hn.Int(1, 5)}))  # CMA with margin
    study.optimize(sphere_int, n_trials=14)
    state = study.strategy_state("cmaes")
    assert json.loads(json.dumps(state)) == state
    optimizer = _optimizer_from_json(state["optimizer"])
    again = _optimizer_from_json(json.loads(json.dumps(_optimizer_to_json(optimizer))))
    assert pickle.dumps(again) == pickle.dumps(optimizer)  # pickled only to compare, never stored


def sphere_int(trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + (trial.params["n"] - 2) ** 2


def test_same_seed_and_history_give_the_same_proposal_also_after_reload(tmp_path) -> None:
    assert_resumes_exactly("cmaes", 13, seed=3, db=tmp_path / "cma.db")


def test_parallel_asks_get_distinct_members_and_failures_are_replaced() -> None:
    study = hn.create_study(strategy={"type": "cmaes", "population_size": 4}, seed=2, space=SPHERE_SPACE)
    study.optimize(sphere, n_trials=8)
    asked = [study.ask() for _ in range(4)]
    assert distinct([t.params for t in asked]) == 4
    study.tell(asked[0], state="FAILED", error="crashed")
    for t in asked[1:]:
        study.tell(t, sphere(t))
    study.optimize(sphere, n_trials=30)
    assert study.best_value < 0.1


def test_spaces_cmaes_cannot_search_get_errors_naming_who_can() -> None:
    with pytest.raises(hn.StrategyError, match=r"'cmaes' cannot search parameter 'act' of type 'categorical'.*'tpe' or 'nsga2'"):
        hn.create_study(strategy="cmaes", space={"act": ["relu", "tanh"], "x": {"type": "float", "low": 0, "high": 1}})
    with pytest.raises(hn.StrategyError, match=r"conditional parameter 'm'.*use 'tpe'"):
        hn.create_study(strategy="cmaes", space=hn.Space({"x": hn.Int(0, 3), "m": hn.Float(0, 1, when={"x": 1})}))
    study = hn.create_study(strategy="cmaes", directions=["minimize", "maximize"], space=SPHERE_SPACE)
    with pytest.raises(hn.StrategyError, match=r"'cmaes' optimizes one objective but the study has 2 directions; use 'nsga2'"):
        study.ask()
    with pytest.raises(hn.StrategyError, match=r"cmaes: sigma0 must be a number in \(0, 1\], got 3"):
        hn.make_strategy({"type": "cmaes", "sigma0": 3})
