"""The SQL storage on a real PostgreSQL server: the shared-use path (row locks, number allocation)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

import hypernas as hn
from hypernas import TrialState
from tests.postgres_server import available, postgres_url


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL (initdb, pg_ctl) must be installed in CI")
        pytest.skip("PostgreSQL is not installed on this machine")
    with postgres_url() as url:
        yield url


SPACE = {"x": {"type": "float", "low": 0, "high": 1}, "k": {"type": "categorical", "choices": ["a", "b", "c"]}}


def test_study_round_trip(pg_url: str) -> None:
    study = hn.create_study("pg-basic", pg_url, direction="minimize", seed=1, space=SPACE)
    study.enqueue({"x": 0.5, "k": "b"})
    study.optimize(lambda t: t.params["x"], n_trials=6)
    again = hn.load_study("pg-basic", pg_url)
    assert [t.number for t in again.trials] == list(range(6))
    assert again.trials[0].params == {"x": 0.5, "k": "b"}
    assert again.best_value == min(t.value for t in again.trials)
    hn.delete_study("pg-basic", pg_url)
    assert "pg-basic" not in hn.study_names(pg_url)


def test_two_processes_share_a_grid_study(pg_url: str, tmp_path) -> None:
    hn.create_study("pg-grid", pg_url, strategy={"type": "grid", "resolution": 4},
                    space={"x": {"type": "float", "low": 0, "high": 1}, "k": ["a", "b", "c"]})
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(f"""
        import time, hypernas as hn
        def objective(trial):
            time.sleep(0.01)
            return trial.params["x"]
        hn.load_study("pg-grid", {pg_url!r}).optimize(objective, n_trials=20)
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [subprocess.Popen([sys.executable, str(script)], env=env, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    trials = hn.load_study("pg-grid", pg_url).trials
    assert len(trials) == 12  # the grid has 4 x 3 points; both workers stop when it is exhausted
    assert sorted(t.number for t in trials) == list(range(12))
    assert len({(t.params["x"], t.params["k"]) for t in trials}) == 12
    assert all(t.state is TrialState.COMPLETE for t in trials)
