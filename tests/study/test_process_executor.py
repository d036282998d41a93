"""Several worker processes on one SQL study: the budget is shared exactly and nothing is duplicated (worker
processes that die: test_worker_crash.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import hypernas as hn
from hypernas import TrialState
from hypernas.errors import WorkerCrashedError

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}


@pytest.fixture
def objectives_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "proc_objectives.py").write_text(
        "import os\n"
        "def record_pid(trial):\n"
        "    trial.set_user_attr('pid', os.getpid())\n"
        "    return trial.params['x']\n"
        "def broken(trial):\n"
        "    raise ValueError('no data for ' + str(trial.number))\n"
        "def two_values(trial):\n"
        "    return trial.params['x'], 1 - trial.params['x']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    return "proc_objectives"


def test_processes_share_the_budget(objectives_module: str, db_url: str) -> None:
    import proc_objectives  # type: ignore[import-not-found]

    study = hn.create_study("proc", db_url, seed=0, space=SPACE)
    study.optimize(proc_objectives.record_pid, n_trials=12, n_workers=2, executor="process")
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(12))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}


def test_failures_in_worker_processes_are_recorded(objectives_module: str, sqlite_url: str) -> None:
    import proc_objectives  # type: ignore[import-not-found]

    study = hn.create_study("broken", sqlite_url, space=SPACE)
    study.optimize(proc_objectives.broken, n_trials=4, n_workers=2, executor="process")
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 4
    assert all("ValueError: no data for" in t.error for t in study.trials)


def test_process_executor_needs_a_shared_storage() -> None:
    study = hn.create_study(space=SPACE)
    with pytest.raises(hn.ConfigError, match="needs a study in a SQL database"):
        study.optimize(lambda t: 0.0, n_trials=2, n_workers=2, executor="process")


def test_process_executor_needs_a_picklable_objective(sqlite_url: str) -> None:
    study = hn.create_study("lambda", sqlite_url, space=SPACE)
    with pytest.raises(hn.ConfigError, match="can be pickled"):
        study.optimize(lambda t: 0.0, n_trials=2, n_workers=2, executor="process")


def test_unknown_executor() -> None:
    study = hn.create_study(space=SPACE)
    with pytest.raises(hn.ConfigError, match="unknown executor 'dask'; known executors: process, ray, thread"):
        study.optimize(lambda t: 0.0, n_trials=1, executor="dask")


def test_an_uncaught_objective_error_ends_its_worker_process(objectives_module: str, sqlite_url: str) -> None:
    import proc_objectives  # type: ignore[import-not-found]

    study = hn.create_study("uncaught", sqlite_url, space=SPACE)
    with pytest.raises(WorkerCrashedError, match=r"^worker process [12] of 2 \(pid \d+\) exited with code 1; "
                                                 r"(worker process [12] of 2 .* exited with code 1; )?"
                                                 r"last trial error: ValueError: no data for [01]$"):
        study.optimize(proc_objectives.broken, n_trials=4, n_workers=2, executor="process", catch=())
    assert {t.state for t in study.trials} == {TrialState.FAILED}  # the other worker stops (it may have run one)


def test_a_user_mistake_in_a_worker_is_raised_as_it_is(objectives_module: str, sqlite_url: str) -> None:
    import proc_objectives  # type: ignore[import-not-found]

    study = hn.create_study("mistake", sqlite_url, directions=["minimize", "minimize"], strategy="cmaes", space=SPACE)
    with pytest.raises(hn.StrategyError, match="cmaes"):
        study.optimize(proc_objectives.two_values, n_trials=4, n_workers=2, executor="process")
    assert study.trials == []
