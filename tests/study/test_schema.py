"""Workers that start at the same moment on an empty database all find one record: creating the schema is safe
when several processes do it at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa

import hypernas
from hypernas import TrialState

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import sqlalchemy as sa
    import hypernas
    from hypernas.study.storage import sql

    url, folder, me = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    sa.create_engine(url).dialect.dbapi  # the database driver imported before the start, for a close race
    (folder / f"ready-{me}").touch()
    while not (folder / "go").exists():
        time.sleep(0.001)
    study = hypernas.create_study("s", url, strategy="random", seed=0, load_if_exists=True,
                                  space={"x": {"type": "float", "low": 0, "high": 1}})
    study.optimize(lambda t: t.params["x"], n_trials=2)
""")

N_PROCESSES = 8


def test_workers_opening_an_empty_database_at_once_share_one_record(tmp_path: Path, db_url: str) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    src = str(Path(hypernas.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    procs = [subprocess.Popen([sys.executable, str(script), db_url, str(tmp_path), str(i)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(N_PROCESSES)]
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready-{i}").exists() for i in range(N_PROCESSES)):
            assert time.monotonic() < deadline, "the processes did not start"
            assert all(p.poll() is None for p in procs), "a process died while starting"
            time.sleep(0.01)
        (tmp_path / "go").touch()  # they all import hypernas, then open the database at this moment
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()[-3000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    trials = hypernas.load_study("s", db_url).trials
    assert [t.number for t in trials] == list(range(2 * N_PROCESSES))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT schema_version FROM hn_version").all() == [(1,)]
            assert conn.exec_driver_sql("SELECT name FROM hn_studies").all() == [("s",)]
    finally:
        engine.dispose()
