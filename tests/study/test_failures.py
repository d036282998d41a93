"""Failures: bad objectives become FAILED trials with the reason; interrupts and dead workers lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import hypernas
from hypernas import Float, RandomSearch, Space, TrialState, create_study, load_study
from hypernas.errors import InternalError
from hypernas.study.loop import INTERRUPTED
from hypernas.study.workers import HOSTNAME

SPACE = Space({"x": Float(0, 1)})


class Boom(Exception):
    pass


@pytest.mark.parametrize("result, reason", [
    (float("nan"), "objective returned nan; expected a finite float"),
    (float("inf"), "objective returned inf; expected a finite float"),
    (-float("inf"), "objective returned -inf"),
    (None, "objective returned None; expected a finite float"),
    ("0.5", "objective returned '0.5'; expected a finite float"),
    (True, "objective returned True"),
    (1 + 2j, "objective returned (1+2j)"),
    ([1.0, 2.0], "objective returned 2 value(s) but the study has 1 direction(s)"),
    ([], "objective returned 0 value(s)"),
    (np.array([1.0, 2.0]), "objective returned array"),
    (np.float64("nan"), "objective returned"),
    ({"loss": 1.0, "acc": 2.0}, "name the optimized ones with metrics=[...]"),
    (object(), "objective returned <object object"),
])
def test_bad_results_fail_the_trial_and_the_study_goes_on(storage, result, reason):
    study = create_study("s", storage, space=SPACE)
    study.optimize(lambda t: result if t.number == 0 else 1.0, n_trials=3)
    first, *rest = study.trials
    assert first.state is TrialState.FAILED and first.values is None
    assert reason in first.error and "\n" not in first.error
    assert [t.state for t in rest] == [TrialState.COMPLETE, TrialState.COMPLETE]


@pytest.mark.parametrize("result, reason", [
    ((1.0,), "objective returned 1 value(s) but the study has 2 direction(s)"),
    ((1.0, float("nan")), "objective returned nan; expected 2 finite floats"),
    ({"acc": 1.0}, "result lacks metric 'loss'; expected keys: acc, loss"),
    ({"acc": 1.0, "loss": "high"}, "objective returned 'high' for metric 'loss'"),
    (2.0, "objective returned 1 value(s) but the study has 2"),
])
def test_bad_multi_objective_results(result, reason):
    study = create_study(directions=["max", "min"], metrics=["acc", "loss"], space=SPACE)
    study.optimize(lambda t: result, n_trials=1)
    (trial,) = study.trials
    assert trial.state is TrialState.FAILED and reason in trial.error


def test_raising_objective_records_type_message_and_traceback(storage):
    study = create_study("s", storage, space=SPACE)

    def objective(trial):
        if trial.number % 2 == 0:
            raise Boom("diverged\nat epoch 3")
        return 0.0

    study.optimize(objective, n_trials=4)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAILED, TrialState.COMPLETE] * 2
    failed = study.trials[0]
    assert failed.error == "Boom: diverged at epoch 3"
    assert "Traceback" in failed.system_attrs["traceback"] and "raise Boom" in failed.system_attrs["traceback"]
    assert study.best_trial.number == 1


def test_catch_empty_reraises_after_recording_failed(storage, reopen):
    study = create_study("s", storage, space=SPACE)
    with pytest.raises(Boom, match="stop here"):
        study.optimize(lambda t: (_ for _ in ()).throw(Boom("stop here")), n_trials=5, catch=())
    trials = load_study("s", reopen()).trials
    assert len(trials) == 1 and trials[0].state is TrialState.FAILED and trials[0].error == "Boom: stop here"


def test_catch_only_the_given_exception_types():
    study = create_study(space=SPACE)

    def objective(trial):
        if trial.number < 2:
            raise ValueError("tolerated")
        raise TypeError("not tolerated")

    with pytest.raises(TypeError):
        study.optimize(objective, n_trials=5, catch=ValueError)  # a single type is accepted too
    assert [t.error for t in study.trials] == ["ValueError: tolerated", "ValueError: tolerated",
                                               "TypeError: not tolerated"]


def test_catch_accepts_a_list_and_refuses_non_exceptions():
    study = create_study(space=SPACE)
    study.optimize(lambda t: (_ for _ in ()).throw(Boom("x")), n_trials=2, catch=[Boom])
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 2
    with pytest.raises(hypernas.ConfigError, match="catch must hold exception classes such as ValueError, got 'Boom'"):
        study.optimize(lambda t: 0.0, n_trials=1, catch=("Boom",))
    assert len(study.trials) == 2


def test_non_exception_errors_are_recorded_then_raised():
    study = create_study(space=SPACE)
    with pytest.raises(SystemExit):
        study.optimize(lambda t: sys.exit(3), n_trials=2)
    (trial,) = study.trials
    assert trial.state is TrialState.FAILED and trial.error == "SystemExit: 3"


def test_keyboard_interrupt_marks_the_trial_failed_and_lost_then_requeue(storage, reopen):
    study = create_study("s", storage, space=SPACE, seed=0)

    def objective(trial):
        if trial.number == 2:
            raise KeyboardInterrupt
        return trial.params["x"]

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAILED]
    assert trials[2].error == INTERRUPTED and trials[2].system_attrs["lost"] is True
    resumed = load_study("s", reopen())
    assert resumed.fail_lost_trials(requeue=True) == [2]
    assert resumed.fail_lost_trials(requeue=True) == []  # queued once only
    waiting = resumed.trials[3]
    assert waiting.state is TrialState.WAITING and waiting.params == trials[2].params
    assert waiting.system_attrs == {"requeued_from": 2}
    resumed.optimize(lambda t: t.params["x"], n_trials=2)
    assert resumed.trials[3].state is TrialState.COMPLETE and resumed.trials[3].params == trials[2].params
    assert len(resumed.trials) == 5


def test_keyboard_interrupt_with_two_workers_marks_both_trials_and_starts_no_more():
    study = create_study(space=SPACE, seed=0)
    both_started = threading.Barrier(2, timeout=10)
    release = threading.Event()

    def objective(trial):
        both_started.wait()
        if trial.number == 0:
            raise KeyboardInterrupt
        release.wait(timeout=10)  # still busy when the interrupt reaches the main thread
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10, n_workers=2)
    trials = study.trials
    assert [(t.state, t.error) for t in trials] == [(TrialState.FAILED, INTERRUPTED)] * 2
    assert all(t.system_attrs["lost"] for t in trials)
    release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("hypernas-worker"):
            thread.join(timeout=10)
    assert [(t.state, t.error) for t in study.trials] == [(TrialState.FAILED, INTERRUPTED)] * 2


# --- lost trials ---------------------------------------------------------------------------
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_running_trial_of_a_dead_process_is_failed_with_the_reason(storage, reopen):
    study = create_study("s", storage, space=SPACE)
    pid = dead_pid()
    storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.25},
                         worker={"host": HOSTNAME, "pid": pid, "token": "another-process"})
    assert study.fail_lost_trials() == [0]
    (trial,) = load_study("s", reopen()).trials
    assert trial.state is TrialState.FAILED and trial.system_attrs["lost"] is True
    assert trial.error == f"lost: the trial was left RUNNING because its worker process {pid} on {HOSTNAME} is gone"
    assert study.fail_lost_trials() == []
    assert len(study.trials) == 1  # not re-queued unless asked


def test_lost_trial_requeued_by_optimize(storage):
    study = create_study("s", storage, space=SPACE)
    storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.75},
                         worker={"host": HOSTNAME, "pid": dead_pid(), "token": "t"})
    seen = []
    study.optimize(lambda t: seen.append(t.params) or 0.0, n_trials=2, requeue_lost=True)
    assert seen[0] == {"x": 0.75}
    states = [(t.state, t.system_attrs.get("requeued_from")) for t in study.trials]
    assert states == [(TrialState.FAILED, None), (TrialState.COMPLETE, 0), (TrialState.COMPLETE, None)]


def test_optimize_fails_lost_trials_without_requeue_by_default(storage):
    study = create_study("s", storage, space=SPACE)
    storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.75},
                         worker={"host": HOSTNAME, "pid": dead_pid(), "token": "t"})
    study.optimize(lambda t: 0.0, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAILED, TrialState.COMPLETE]


def test_live_workers_trials_are_left_alone(storage):
    study = create_study("s", storage, space=SPACE)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.5},
                             worker={"host": HOSTNAME, "pid": sleeper.pid, "token": "t"})
        mine = study.ask()  # running in this process
        assert study.fail_lost_trials(requeue=True) == []
        assert [t.state for t in study.trials] == [TrialState.RUNNING, TrialState.RUNNING]
        study.tell(mine, 1.0)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_trial_of_this_process_that_nobody_runs_is_lost(storage):
    study = create_study("s", storage, space=SPACE)
    from hypernas.study.workers import mark_done, worker_info

    trial = storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.5}, worker=worker_info())
    mark_done(storage, trial.trial_id)
    assert study.fail_lost_trials() == [0]
    assert "its worker in this process stopped without finishing it" in study.trials[0].error


def test_trial_on_another_host_is_lost_only_when_its_heartbeat_is_stale(storage):
    study = create_study("s", storage, space=SPACE)
    storage.create_trial(study.study_id, TrialState.RUNNING, params={"x": 0.5},
                         worker={"host": "some-other-host", "pid": 1, "token": "t"})
    assert study.fail_lost_trials(stale_after=300) == []
    assert study.fail_lost_trials(stale_after=0) == [0]
    assert "its worker some-other-host:1 sent no heartbeat for more than 0 s" in study.trials[0].error


CHILD = """
import os, sys
from hypernas import Float, create_study
study = create_study("s", sys.argv[1], space={"x": Float(0, 1)}, seed=3)
study.optimize(lambda t: t.params["x"], n_trials=2)
trial = study.ask()
print(trial.number, trial.params["x"], flush=True)
os._exit(0)  # the worker dies with its trial RUNNING
"""


def test_trial_left_running_by_an_exited_process_is_recovered(tmp_path):
    url = f"sqlite:///{tmp_path / 'lost.db'}"
    path = [str(Path(hypernas.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD), url], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    number, x = int(out[0]), float(out[1])
    study = load_study("s", url)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.RUNNING]
    study.optimize(lambda t: t.params["x"], n_trials=1, requeue_lost=True)
    trials = study.trials
    assert trials[number].state is TrialState.FAILED and "is gone" in trials[number].error
    assert trials[3].params == {"x": x} and trials[3].system_attrs["requeued_from"] == number
    assert trials[3].state is TrialState.COMPLETE and len(trials) == 4


def test_extra_metrics_and_user_attrs_are_stored_as_json_on_both_backends(storage, reopen):
    study = create_study("s", storage, space=SPACE)

    def objective(trial):
        trial.set_user_attr("acc", np.float32(0.5))
        trial.set_user_attr("shape", (2, 3))
        trial.set_user_attr("by_class", {1: 0.5})
        return {"value": 1.0, "per_class": np.array([0.25, 0.75]), "n": np.int64(3)}

    study.optimize(objective, n_trials=1)
    (trial,) = load_study("s", reopen()).trials
    assert trial.state is TrialState.COMPLETE
    assert trial.user_attrs == {"acc": 0.5, "shape": [2, 3], "by_class": {"1": 0.5}, "per_class": [0.25, 0.75],
                                "n": 3.0}


def test_unstorable_user_attrs_and_extra_metrics_fail_the_trial_only(storage):
    study = create_study("s", storage, space=SPACE)

    def objective(trial):
        if trial.number == 0:
            trial.set_user_attr("tags", {"a", "b"})
        if trial.number == 1:
            return {"value": 1.0, "model": object()}
        return 1.0

    study.optimize(objective, n_trials=3)
    a, b, c = study.trials
    assert a.state is TrialState.FAILED and "user attribute 'tags' must be JSON data" in a.error
    assert b.state is TrialState.FAILED and "for metric 'model'; expected a number or JSON data" in b.error
    assert b.user_attrs == {}
    assert c.state is TrialState.COMPLETE
    with pytest.raises(hypernas.ConfigError, match="study user attribute 'x' must be JSON data"):
        study.set_user_attr("x", {1, 2})


def _strict_json_only(storage) -> None:
    """Every JSON value a SQL record holds parses without NaN or infinity (as PostgreSQL's JSON type demands)."""
    import json

    from hypernas import SQLStorage

    if not isinstance(storage, SQLStorage):
        return

    def refuse(token):
        raise AssertionError(f"the record holds {token}")

    with storage.engine.connect() as db:
        for table, column in [("hn_studies", "user_attrs"), ("hn_studies", "system_attrs"), ("hn_trials", "user_attrs"),
                              ("hn_trials", "system_attrs"), ("hn_trials", "params")]:
            for (text,) in db.exec_driver_sql(f"SELECT CAST({column} AS TEXT) FROM {table}"):
                json.loads(text, parse_constant=refuse)


def test_nan_or_infinity_in_an_extra_metric_is_kept_as_none_with_a_warning(storage, caplog):
    study = create_study("s", storage, space=SPACE)
    study.optimize(lambda t: {"value": 1.0, "aux": float("nan"), "curve": [0.5, np.float32("inf")],
                              "per_class": np.array([0.25, -np.inf])}, n_trials=1)
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE and trial.values == [1.0]
    assert trial.user_attrs == {"aux": None, "curve": [0.5, None], "per_class": [0.25, None]}
    assert "trial 0: metric 'aux' is nan; the record holds no NaN or infinity, so it keeps None in their place" in caplog.text
    assert "metric 'curve' is [0.5, np.float32(inf)]" in caplog.text
    assert study.to_dataframe()["user_attrs_aux"].isna().all()
    _strict_json_only(storage)


@pytest.mark.parametrize("value", [float("nan"), float("-inf"), np.float64("inf"), {"a": [float("nan")]}], ids=repr)
def test_nan_or_infinity_in_a_user_attribute_is_refused_where_it_is_set(storage, value):
    study = create_study("s", storage, space=SPACE)
    trial = study.ask()
    with pytest.raises(hypernas.ConfigError, match=r"^trial 0: user attribute 'k' must be JSON data; NaN and infinity "
                                                   r"are not allowed, got "):
        trial.set_user_attr("k", value)
    with pytest.raises(hypernas.ConfigError, match=r"^study user attribute 'k' must be JSON data; NaN and infinity"):
        study.set_user_attr("k", value)
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {} and study.user_attrs == {}

    def objective(t):
        t.set_user_attr("k", value)
        return 1.0

    study.optimize(objective, n_trials=1)
    assert study.trials[1].state is TrialState.FAILED and "NaN and infinity are not allowed" in study.trials[1].error
    _strict_json_only(storage)


def test_nan_in_a_strategy_decision_or_state_is_refused_at_ask(storage):
    class Deciding(RandomSearch):
        def decisions(self, study, trial):
            return {"budget": float("nan")}

    study = create_study("s", storage, strategy=Deciding(seed=0), space=SPACE)
    with pytest.raises(hypernas.ConfigError, match=r"^strategy 'random': decisions for trial 0 must be JSON data; "
                                                   r"NaN and infinity are not allowed, got \{'budget': nan\}$"):
        study.ask()
    with pytest.raises(hypernas.ConfigError, match=r"^strategy state 'mine' must be JSON data; NaN and infinity are "
                                                   r"not allowed, got \[inf\]$"):
        study.set_strategy_state("mine", [float("inf")])
    assert study.trials == [] and study.strategy_state("mine") is None
    _strict_json_only(storage)


def test_live_trials_of_two_records_in_one_process_are_kept_apart():
    first, second = create_study("a", space=SPACE), create_study("b", space=SPACE)
    running = first.ask()  # trial id 1 of the first record, run by this process
    from hypernas.study.workers import worker_info

    orphan = second.storage.create_trial(second.study_id, TrialState.RUNNING, params={"x": 0.5}, worker=worker_info())
    assert orphan.trial_id == running.trial_id  # the same id, in another record
    assert second.fail_lost_trials() == [0]
    assert first.fail_lost_trials() == []
    first.tell(running, 1.0)


# --- bugs are not user mistakes --------------------------------------------------------------
class CrashOnTell(RandomSearch):
    def tell(self, study, trial):
        if trial.number == 1:
            raise ZeroDivisionError("bookkeeping bug")


def test_strategy_crashing_in_tell_is_an_internal_error_after_the_trial_is_recorded(storage, reopen):
    study = create_study("s", storage, strategy=CrashOnTell(seed=0), space=SPACE)
    with pytest.raises(InternalError, match=r"^strategy 'random' failed on tell of trial 1 \(the trial is recorded as "
                                            r"COMPLETE\): ZeroDivisionError: bookkeeping bug$") as info:
        study.optimize(lambda t: t.params["x"], n_trials=5)
    assert not isinstance(info.value, hypernas.ConfigError)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    trials = load_study("s", reopen(), strategy="random").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE]


def test_a_mistake_the_strategy_reports_in_tell_keeps_its_class():
    class Refuses(RandomSearch):
        def tell(self, study, trial):
            raise hypernas.StrategyError("refuses: this space has no 'y'")

    study = create_study(strategy=Refuses(), space=SPACE)
    with pytest.raises(hypernas.StrategyError, match="^refuses: this space has no 'y'$"):
        study.optimize(lambda t: 0.0, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]


def test_strategy_crashing_in_ask_raises_its_own_error_and_loses_nothing(storage):
    class CrashOnAsk(RandomSearch):
        def ask(self, study, trial):
            if trial.number == 2:
                raise IndexError("off by one")
            return super().ask(study, trial)

    study = create_study("s", storage, strategy=CrashOnAsk(seed=0), space=SPACE)
    with pytest.raises(IndexError, match="off by one"):
        study.optimize(lambda t: t.params["x"], n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.COMPLETE]
