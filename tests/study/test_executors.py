"""The executor interface: a handle reopens the study anywhere, and a new executor is one registered class."""

from __future__ import annotations

import pickle
import threading

import pytest

from hypernas import TrialState, create_study
from hypernas.study import EXECUTORS, Executor, StudyHandle
from hypernas.study.executors import FinishedTrials, Job
from hypernas.study.loop import worker_loop

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}


def test_a_handle_pickles_and_reopens_the_study(sqlite_url):
    study = create_study("s", sqlite_url, strategy={"type": "random"}, seed=5, space=SPACE)
    study.optimize(lambda t: t.params["x"], n_trials=2)
    handle = pickle.loads(pickle.dumps(study.handle()))
    assert handle == StudyHandle(sqlite_url, "s", handle.strategy, handle.pruner)
    reopened = handle.open()
    assert reopened is not study and reopened.name == "s" and reopened.seed == 5
    assert reopened.trials == study.trials
    assert reopened.strategy.to_config() == study.strategy.to_config()


class Budget:
    def __init__(self, n_trials):
        self.left = n_trials
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def claim(self):
        with self._lock:
            self.left -= 1
            return self.left >= 0 and not self.stop.is_set()


class ReopeningExecutor(Executor):
    """Like a remote executor: each worker opens its own study from the handle and reports nothing back."""

    def run(self, study, job: Job, callbacks):
        finished = FinishedTrials(study)
        budget = Budget(job.n_trials)
        workers = [threading.Thread(target=worker_loop, args=(job.handle.open(), job.objective, budget, job.catch, ()))
                   for _ in range(job.n_workers)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        finished.report(callbacks)


def test_a_registered_executor_runs_the_loop_on_reopened_studies(sqlite_url):
    study = create_study("s", sqlite_url, seed=0, space=SPACE)
    seen = []
    with EXECUTORS.temporarily("reopening", ReopeningExecutor):
        study.optimize(lambda t: t.params["x"], n_trials=5, n_workers=2, executor="reopening",
                       callbacks=[lambda s, t: seen.append((s is study, t.number))])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 5
    assert sorted(seen) == [(True, n) for n in range(5)]
    assert "reopening" not in EXECUTORS


@pytest.mark.parametrize("name", ["thread", "process"])
def test_the_built_in_executors_are_registered(name):
    assert issubclass(EXECUTORS.get(name), Executor)
    assert EXECUTORS.get(name).name == name


def test_an_executor_object_is_used_as_it_is(sqlite_url):
    study = create_study("s", sqlite_url, seed=0, space=SPACE)
    study.optimize(lambda t: t.params["x"], n_trials=3, n_workers=2, executor=ReopeningExecutor())
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
