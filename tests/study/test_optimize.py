"""The optimize loop: budgets (n_trials, timeout), threads, callbacks, exhaustion, argument checks."""

from __future__ import annotations

import threading
import time

import pytest

from hypernas import Categorical, ConfigError, Float, GridSearch, Int, Space, Trial, TrialState, create_study, load_study
from hypernas.study.loop import describe_exception

SPACE = Space({"x": Float(-1, 1), "k": Int(0, 3)})


def value(trial: Trial) -> float:
    return trial.params["x"] ** 2 + trial.params["k"]


def test_n_trials_counts_the_trials_of_this_call(storage):
    study = create_study("s", storage, space=SPACE, seed=0)
    study.optimize(value, n_trials=3)
    study.optimize(lambda t: 1 / 0 if t.number == 3 else value(t), n_trials=3)  # failures count too
    study.optimize(value, n_trials=0)
    assert [t.number for t in study.trials] == list(range(6))
    assert [t.state for t in study.trials].count(TrialState.FAILED) == 1


def test_objective_gets_a_live_trial():
    study = create_study(space=SPACE, seed=0)
    seen = []

    def objective(trial):
        seen.append((trial.number, trial.study is study, SPACE.validate(trial.params) == trial.params))
        return 0.0

    study.optimize(objective, n_trials=3)
    assert seen == [(0, True, True), (1, True, True), (2, True, True)]


def test_timeout_ends_the_run():
    study = create_study(space=SPACE, seed=0)

    def slow(trial):
        time.sleep(0.02)
        return 0.0

    study.optimize(slow, timeout=0.2)  # no n_trials: the timeout alone ends it
    trials = study.trials
    assert 1 <= len(trials) < 1000
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_n_trials_before_timeout():
    study = create_study(space=SPACE)
    study.optimize(value, n_trials=4, timeout=600)
    assert len(study.trials) == 4


def test_without_budget_a_finite_grid_runs_to_the_end(storage):
    study = create_study("s", storage, strategy="grid", space={"a": Int(0, 4), "b": Categorical(["u", "v"])})
    study.optimize(lambda t: t.params["a"])
    assert len(study.trials) == 10 and study.best_params == {"a": 0, "b": "u"}


def test_two_worker_threads(storage):
    study = create_study("s", storage, space=SPACE, seed=0)
    in_flight = threading.Barrier(2, timeout=10)

    def objective(trial):
        if trial.number < 2:
            in_flight.wait()  # only returns if two trials run at the same time
        return value(trial)

    study.optimize(objective, n_trials=20, n_workers=2)
    trials = study.trials
    assert [t.number for t in trials] == list(range(20))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_two_workers_on_a_grid_propose_each_point_once(storage, reopen):
    study = create_study("s", storage, strategy=GridSearch(resolution=4, stages=2),
                         space={"x": Float(0, 1), "y": Float(0, 1)})
    study.optimize(lambda t: (t.params["x"] - 0.4) ** 2 + (t.params["y"] - 0.7) ** 2, n_workers=2, n_trials=200)
    trials = load_study("s", reopen()).trials
    keys = [study.space.key(t.params) for t in trials]
    assert len(keys) == len(set(keys)) > 16
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_two_workers_run_each_enqueued_config_once(storage):
    study = create_study("s", storage, space=SPACE, seed=1)
    for k in range(4):
        study.enqueue({"x": 0.5, "k": k})
    study.optimize(value, n_trials=8, n_workers=2)
    trials = study.trials
    assert [t.params for t in trials[:4]] == [{"x": 0.5, "k": k} for k in range(4)]
    assert len(trials) == 8 and all(t.state is TrialState.COMPLETE for t in trials)


def test_callbacks_see_every_finished_trial_in_order():
    study = create_study(space=SPACE, seed=0)
    seen = []
    study.optimize(lambda t: 1 / 0 if t.number == 1 else 0.0, n_trials=3,
                   callbacks=[lambda s, t: seen.append((s is study, t.number, t.state))])
    assert seen == [(True, 0, TrialState.COMPLETE), (True, 1, TrialState.FAILED), (True, 2, TrialState.COMPLETE)]


def test_progress_bar_runs(capsys):
    study = create_study("progress", space=SPACE, seed=0)
    study.optimize(value, n_trials=3, show_progress=True)
    assert len(study.trials) == 3
    assert "progress" in capsys.readouterr().err
    multi = create_study("multi", directions=["min", "max"], space=SPACE)
    multi.optimize(lambda t: (1.0, 2.0), n_trials=2, show_progress=True)
    assert "Pareto front" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(n_trials=-1), "optimize: n_trials must be an integer >= 0 or None, got -1"),
    (dict(n_trials="5"), "optimize: n_trials must be an integer >= 0 or None, got '5'"),
    (dict(n_trials=True), "n_trials must be"),
    (dict(timeout=0), "optimize: timeout must be a number > 0 or None, got 0"),
    (dict(timeout=float("nan")), "timeout must be"),
    (dict(timeout="60"), "timeout must be"),
    (dict(n_workers=0), "optimize: n_workers must be an integer >= 1, got 0"),
    (dict(n_workers=1.5), "n_workers must be"),
])
def test_bad_budgets_are_config_errors(kwargs, fragment):
    study = create_study(space=SPACE)
    with pytest.raises(ConfigError, match=fragment):
        study.optimize(value, **kwargs)
    assert study.trials == []


def test_objective_must_be_callable():
    study = create_study(space=SPACE)
    with pytest.raises(ConfigError, match="objective must be callable as objective\\(trial\\), got 'train.py'"):
        study.optimize("train.py", n_trials=1)


def test_describe_exception_is_one_line():
    assert describe_exception(ValueError("a\n  b")) == "ValueError: a b"
    assert describe_exception(KeyError()) == "KeyError"
