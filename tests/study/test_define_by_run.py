"""Define-by-run: parameters suggested inside the objective, with every strategy, mixed with declared ones."""

from __future__ import annotations

import pytest

import hypernas as hn
from hypernas.record import TrialState
from hypernas.strategy import STRATEGIES, make_strategy


def conditional(trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if kind == "a":
        extra = trial.suggest_int("layers", 1, 8, log=True)
    else:
        extra = trial.suggest_float("ratio", 0.0, 1.0, step=0.25)
    return (x - 1.0) ** 2 + abs(lr - 0.01) + extra


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_every_strategy_runs_a_define_by_run_objective(name):
    study = hn.create_study(direction="minimize", seed=0, strategy=make_strategy({"type": name}))
    study.optimize(conditional, n_trials=12, show_progress=False)
    trials = study.trials
    assert len(trials) == 12 and all(t.state is TrialState.COMPLETE for t in trials), [t.error for t in trials]
    for t in trials:
        assert set(t.params) == {"x", "lr", "kind", "layers" if t.params["kind"] == "a" else "ratio"}
        assert -5 <= t.params["x"] <= 5 and 1e-4 <= t.params["lr"] <= 1e-1
        assert t.params["kind"] != "b" or t.params["ratio"] in (0.0, 0.25, 0.5, 0.75, 1.0)


def test_the_strategy_models_what_every_trial_has_and_tpe_what_some_have():
    study = hn.create_study(direction="minimize", seed=0, strategy="random")
    study.optimize(conditional, n_trials=10, show_progress=False)
    assert set(study.space) == {"x", "lr", "kind"}  # conditional ones are drawn, not modeled
    tpe = hn.create_study(direction="minimize", seed=0, strategy={"type": "tpe", "n_startup_trials": 4})
    tpe.optimize(conditional, n_trials=10, show_progress=False)
    assert set(tpe.space) == {"x", "lr", "kind", "layers", "ratio"}  # each modeled on the trials that have it
    assert all(set(t.params) == {"x", "lr", "kind", "layers" if t.params["kind"] == "a" else "ratio"}
               for t in tpe.trials)


def test_same_seed_same_trajectory():
    runs = []
    for _ in range(2):
        study = hn.create_study(direction="minimize", seed=3, strategy="tpe")
        study.optimize(conditional, n_trials=8, show_progress=False)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]


def test_a_parameter_suggested_with_another_range_fails_its_trial_clearly():
    def objective(trial):
        return trial.suggest_float("x", 0.0, 1.0) if trial.number == 0 else trial.suggest_float("x", 0.0, 2.0)

    study = hn.create_study(direction="minimize", seed=0)
    study.optimize(objective, n_trials=2, show_progress=False)
    failed = study.trials[1]
    assert failed.state is TrialState.FAILED
    assert "parameter 'x' is suggested as {'type': 'float', 'low': 0.0, 'high': 2.0" in failed.error
    assert "a parameter keeps one range and one set of choices in a study" in failed.error


def test_declared_and_suggested_parameters_mix():
    seen = []

    def objective(trial):
        lr = trial.params["lr"]
        assert trial.suggest_float("lr", 1e-3, 1e-1, log=True) == lr  # the declared one, same range: its value
        width = trial.suggest_int("width", 8, 64, step=8)
        seen.append((lr, width))
        return lr * width

    study = hn.create_study(direction="minimize", seed=0, strategy="gp")
    study.optimize(objective, {"lr": hn.Float(1e-3, 1e-1, log=True)}, n_trials=6, show_progress=False)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert set(study.space) == {"lr", "width"} and all(w % 8 == 0 for _, w in seen)


def test_a_proposed_parameter_the_code_no_longer_suggests_is_not_recorded():
    def objective(trial):
        a = trial.suggest_float("a", 0.0, 1.0)
        return a + (trial.suggest_float("b", 0.0, 1.0) if trial.number < 3 else 0.0)

    study = hn.create_study(direction="minimize", seed=0, strategy="random")
    study.optimize(objective, n_trials=5, show_progress=False)
    assert [sorted(t.params) for t in study.trials] == [["a", "b"]] * 3 + [["a"]] * 2
    assert list(study.space) == ["a"]


def test_define_by_run_with_worker_processes_and_a_resume(tmp_path):
    storage = f"sqlite:///{tmp_path / 'dbr.db'}"
    study = hn.create_study("dbr", storage, direction="minimize", seed=0, strategy="tpe")
    study.optimize(conditional, n_trials=6, n_workers=2, executor="process", show_progress=False)
    again = hn.load_study("dbr", storage)
    again.optimize(conditional, n_trials=4, show_progress=False)
    assert len(again.trials) == 10 and all(t.state is TrialState.COMPLETE for t in again.trials)
    assert {"x", "lr"} <= set(again.space)
