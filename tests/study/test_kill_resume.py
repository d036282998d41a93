"""A study whose process is SIGKILLed loses no finished trial, and resumes with its lost trial marked (on SQLite and
PostgreSQL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import hypernas
from hypernas import Categorical, Float, Int, Space, TrialState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

SPACE = Space({"x": Float(-5.0, 5.0), "n": Int(1, 64, log=True), "act": Categorical(["relu", "tanh"])})

CHILD = textwrap.dedent("""
    import os, sys, time
    import hypernas

    url, block_at, n_workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    def objective(trial):
        trial.set_user_attr("pid", os.getpid())
        trial.report(0, trial.params["x"])
        if trial.number == block_at:
            time.sleep(600)  # the trial the test kills us in
        return trial.params["x"] ** 2 + trial.params["n"]

    hypernas.load_study("kill", url).optimize(objective, n_trials=100000, n_workers=n_workers)
""")


def _objective(trial: hypernas.Trial) -> float:
    return trial.params["x"] ** 2 + trial.params["n"]


def _start(script: Path, url: str, block_at: int, n_workers: int = 1) -> subprocess.Popen:
    src = str(Path(hypernas.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, str(script), url, str(block_at), str(n_workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(proc: subprocess.Popen, url: str, done: Callable[[list[hypernas.FrozenTrial]], bool], limit: float = 60.0) -> list[hypernas.FrozenTrial]:
    """Poll the record until ``done(trials)``; fail if the child dies or the limit passes."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        trials = hypernas.load_study("kill", url).get_trials()
        if done(trials):
            return trials
        if proc.poll() is not None:
            pytest.fail(f"child exited early with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    pytest.fail(f"the study made no progress to the expected point within {limit} s")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)  # reaped, so its pid is gone for the lost-trial check
    proc.stderr.close()


def _count(trials: list[hypernas.FrozenTrial], state: TrialState) -> int:
    return sum(t.state is state for t in trials)


@pytest.fixture
def setup(tmp_path: Path, db_url: str) -> tuple[str, Path]:
    """The study on a SQLite file, then on a PostgreSQL server, and the script of the process to kill."""
    url = db_url
    hypernas.create_study("kill", url, strategy="random", seed=3, space=SPACE)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return url, script


def test_kill_while_running_keeps_complete_trials_and_requeues_the_lost_one(setup: tuple[str, Path]) -> None:
    url, script = setup
    block_at = 6
    proc = _start(script, url, block_at)
    before = _wait_for(proc, url, lambda ts: len(ts) > block_at and ts[block_at].state is TrialState.RUNNING
                       and bool(ts[block_at].intermediate))  # it has reported: now in its long sleep
    _kill(proc)

    complete_before = [t for t in before if t.state is TrialState.COMPLETE]
    assert [t.number for t in complete_before] == list(range(block_at))
    lost_params = before[block_at].params

    study = hypernas.load_study("kill", url)
    assert study.get_trials()[block_at].state is TrialState.RUNNING  # nothing touched it yet
    seen: list[dict] = []

    def objective(trial: hypernas.Trial) -> float:
        seen.append(dict(trial.params))
        return _objective(trial)

    study.optimize(objective, n_trials=2)  # without requeue: the lost trial is only marked
    after = study.get_trials()
    for old in complete_before:
        new = after[old.number]
        assert (new.state, new.params, new.values, new.intermediate, new.user_attrs) == \
               (TrialState.COMPLETE, old.params, old.values, old.intermediate, old.user_attrs)
        assert new.datetime_complete == old.datetime_complete
    lost = after[block_at]
    assert lost.state is TrialState.FAILED
    assert lost.error.startswith("lost:") and f"process {proc.pid}" in lost.error and "gone" in lost.error
    assert lost.system_attrs.get("lost") is True
    assert lost.params == lost_params and lost.intermediate == {0: lost_params["x"]}
    assert [t.number for t in after] == list(range(block_at + 3))
    assert all(t.state is TrialState.COMPLETE for t in after[block_at + 1:])
    assert not any("requeued_from" in t.system_attrs for t in after)
    assert lost_params not in seen

    seen.clear()
    study.optimize(objective, n_trials=2, requeue_lost=True)
    after = study.get_trials()
    requeued = [t for t in after if t.system_attrs.get("requeued_from") == block_at]
    assert len(requeued) == 1
    assert requeued[0].number == block_at + 3 and requeued[0].state is TrialState.COMPLETE
    assert requeued[0].params == lost_params and seen[0] == lost_params
    assert requeued[0].values == [_objective(requeued[0])]
    assert _count(after, TrialState.FAILED) == 1 and _count(after, TrialState.RUNNING) == 0

    study.optimize(objective, n_trials=1, requeue_lost=True)  # a lost trial is re-queued only once
    assert sum(t.system_attrs.get("requeued_from") == block_at for t in study.get_trials()) == 1


def test_a_peer_killed_while_the_study_runs_is_requeued_without_a_restart(
        setup: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url, script = setup
    proc = _start(script, url, block_at=0)
    _wait_for(proc, url, lambda ts: bool(ts) and bool(ts[0].intermediate))  # the peer sleeps in trial 0
    monkeypatch.setattr("hypernas.study.workers.HEARTBEAT_SECONDS", 0.05)
    study = hypernas.load_study("kill", url)

    def objective(trial: hypernas.Trial) -> float:
        if proc.returncode is None:
            _kill(proc)  # the peer dies after this study's loop has started
        time.sleep(0.05)
        return _objective(trial)

    study.optimize(objective, n_trials=30, requeue_lost=True)
    trials = study.get_trials()
    assert trials[0].state is TrialState.FAILED and trials[0].error.startswith("lost:")
    requeued = [t for t in trials if t.system_attrs.get("requeued_from") == 0]
    assert len(requeued) == 1 and requeued[0].state is TrialState.COMPLETE
    assert requeued[0].params == trials[0].params
    assert _count(trials, TrialState.RUNNING) == 0


def test_kill_at_arbitrary_moments_loses_nothing(setup: tuple[str, Path], tmp_path: Path) -> None:
    """Kill a fast study repeatedly wherever it happens to be (in a transaction, between ask and tell...)."""
    url, script = setup
    snapshots: dict[int, hypernas.FrozenTrial] = {}
    for target, n_workers in ((15, 1), (40, 2), (70, 1)):  # threads too: several trials RUNNING at the kill
        proc = _start(script, url, block_at=-1, n_workers=n_workers)
        trials = _wait_for(proc, url, lambda ts, n=target: _count(ts, TrialState.COMPLETE) >= n)
        _kill(proc)
        snapshots.update({t.number: t for t in trials if t.state is TrialState.COMPLETE})

        study = hypernas.load_study("kill", url)
        marked = study.fail_lost_trials()
        trials = study.get_trials()
        assert [t.number for t in trials] == list(range(len(trials)))
        assert all(t.state.is_finished for t in trials)
        for number in marked:
            assert trials[number].state is TrialState.FAILED and trials[number].error.startswith("lost:")
        for number, old in snapshots.items():
            new = trials[number]
            assert (new.state, new.params, new.values, new.user_attrs) == \
                   (TrialState.COMPLETE, old.params, old.values, old.user_attrs)

    if url.startswith("sqlite"):
        with sqlite3.connect(tmp_path / "study.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


DRIVER_OBJECTIVE = textwrap.dedent("""
    import os, time

    def slow(trial):
        time.sleep(0.05)
        with open(os.environ["HN_DONE_LOG"], "a") as log:  # one line per evaluation that ran to its end
            log.write(f"{trial.number} {os.getpid()}\\n")
        return trial.params["x"]
""")

DRIVER_CONFIG = textwrap.dedent("""
    space: {x: {type: float, low: 0, high: 1}}
    objective: driver_objective:slow
    n_trials: 12
    n_workers: 2
    executor: process
    seed: 0
""")


@pytest.mark.timeout(180)
def test_a_killed_driver_resumed_reaches_its_budget_with_nothing_run_twice(tmp_path: Path, db_url: str) -> None:
    """``hypernas run`` with worker processes, SIGKILLed mid-run: its workers end with it (none goes on spending the
    budget behind the resumed run's back), and ``hypernas resume --requeue`` runs exactly the trials missing, the
    lost ones again first."""
    (tmp_path / "driver_objective.py").write_text(DRIVER_OBJECTIVE)
    (tmp_path / "run.yaml").write_text(DRIVER_CONFIG)
    done_log = tmp_path / "done.log"
    src = str(Path(hypernas.__file__).resolve().parents[1])
    env = {**os.environ, "HN_DONE_LOG": str(done_log),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), src, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "hypernas"]
    driver = subprocess.Popen([*command, "run", "run.yaml", "--storage", db_url, "--quiet"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not done_log.exists() or len(done_log.read_text().splitlines()) < 3:
        assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)
    _kill(driver)

    resumed = subprocess.run([*command, "resume", "run", "--storage", db_url, "--quiet", "--config", "run.yaml",
                              "--requeue"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=150)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    workers = {int(line.split()[1]) for line in done_log.read_text().splitlines()}
    time.sleep(0.5)
    assert not [pid for pid in workers if _alive(pid)], "a worker process outlived its run"

    trials = hypernas.load_study("run", db_url).trials
    assert [t.number for t in trials] == list(range(len(trials)))
    assert not [t for t in trials if not t.state.is_finished]
    counted = [t for t in trials if not t.system_attrs.get("lost")]
    assert len(counted) == 12 and all(t.state is TrialState.COMPLETE for t in counted)
    lost = [t for t in trials if t.system_attrs.get("lost")]
    assert all(t.error.startswith("lost: ") for t in lost)
    requeued = {t.system_attrs["requeued_from"]: t for t in counted if "requeued_from" in t.system_attrs}
    assert sorted(requeued) == [t.number for t in lost]
    assert all(requeued[t.number].params == t.params for t in lost)
    evaluated = [int(line.split()[0]) for line in done_log.read_text().splitlines()]
    for t in counted:  # each counted trial evaluated once
        evaluated.remove(t.number)
    # and nothing else, but for a lost trial whose evaluation ended just before the kill, before its result was told
    assert set(evaluated) <= {t.number for t in lost}


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet collected by init, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
