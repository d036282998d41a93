"""What only a database server does: it can go away for a while during a run, and come back."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import hypernas as hn
from hypernas import SQLStorage, StorageError, TrialState, TrialStateError
from hypernas.study.storage import reconnect
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}


def test_a_study_waits_for_a_server_that_restarts_and_loses_nothing(pg_server: PostgresServer, pg_url: str) -> None:
    study = hn.create_study("restart", pg_url, seed=1, space=SPACE)
    stopped = threading.Event()

    def objective(trial: hn.Trial) -> float:
        if trial.number == 3:
            pg_server.stop()  # the server goes away while a trial runs, and with it every open connection
            stopped.set()
            threading.Timer(1.0, pg_server.resume).start()
        time.sleep(0.02)
        return trial.params["x"]

    study.optimize(objective, n_trials=12, n_workers=2)
    assert stopped.is_set()
    trials = hn.load_study("restart", pg_url).trials
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert all(t.values == [t.params["x"]] for t in trials)


def test_a_server_gone_for_too_long_is_one_storage_error(pg_server: PostgresServer, pg_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    study = hn.create_study("gone", pg_url, seed=1, space=SPACE)
    study.optimize(lambda t: t.params["x"], n_trials=2)
    monkeypatch.setattr(reconnect, "RECONNECT_SECONDS", 0.5)
    pg_server.stop()
    try:
        with pytest.raises(StorageError, match=r"^storage postgresql\+psycopg://.* has been unreachable for 0.5 s: "):
            study.optimize(lambda t: t.params["x"], n_trials=2)
    finally:
        pg_server.resume()
    trials = hn.load_study("gone", pg_url).trials
    assert [t.state for t in trials[:2]] == [TrialState.COMPLETE] * 2  # what finished is kept


def test_an_unreachable_server_is_one_line_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(StorageError, match=r"^storage 'postgresql://hn:\*\*\*@/db\?host=%2Fnonexistent' cannot be "
                                           r"opened as a database: connection is bad: .*/nonexistent"):
        hn.create_study("x", "postgresql://hn:secret@/db?host=/nonexistent")
    assert time.monotonic() - start < reconnect.RECONNECT_SECONDS


def test_the_study_lock_held_across_a_server_restart_is_let_go(pg_server: PostgresServer, pg_url: str) -> None:
    store = SQLStorage(pg_url)
    try:
        sid = store.create_study("s", ["minimize"])
        with store.ask_lock(sid):
            pg_server.stop()  # the lock's connection dies with the server, and the lock with it
            pg_server.resume()
            store.create_trial(sid, TrialState.RUNNING)  # on a new connection
        with store.ask_lock(sid):
            assert [t.number for t in store.get_trials(sid)] == [0]
    finally:
        store.close()


def test_a_finish_committed_but_not_acknowledged_is_no_error_when_retried(pg_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLStorage(pg_url)
    try:
        sid = store.create_study("s", ["minimize"])
        trial = store.create_trial(sid, TrialState.RUNNING)
        real_write, dropped = store._write, []

        @contextlib.contextmanager
        def write_then_drop() -> Iterator[Any]:
            with real_write() as conn:
                yield conn
            if not dropped:  # committed, then the connection drops before the answer arrives
                dropped.append(True)
                raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

        monkeypatch.setattr(store, "_write", write_then_drop)
        done = store.finish_trial(trial.trial_id, TrialState.COMPLETE, [1.5])
        assert dropped and (done.state, done.values) == (TrialState.COMPLETE, [1.5])
        with pytest.raises(TrialStateError, match="trial 0 is COMPLETE; only a RUNNING trial can be finished"):
            store.finish_trial(trial.trial_id, TrialState.COMPLETE, [1.5])  # not a retry: a finished trial never changes
    finally:
        store.close()
