"""Which RUNNING trials belong to a dead worker: gone process, reused pid, restarted machine, silent host."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

import hypernas
from hypernas import Float, Space
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.storage import InMemoryStorage, RunningTrial
from hypernas.study.storage.base import utcnow
from hypernas.study.workers import BOOT_ID, BOOT_TIME, HOSTNAME, is_lost, process_start, worker_info

STORE = InMemoryStorage()


def _running(worker: dict, heartbeat_age: float = 0.0) -> RunningTrial:
    trial = FrozenTrial(0, 10_000_001, TrialState.RUNNING, {"x": 1})
    return RunningTrial(trial, worker, utcnow() - timedelta(seconds=heartbeat_age))


@pytest.fixture(scope="module")
def other() -> subprocess.Popen:
    """A live process of this host that is not us (as another worker would be)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


def _worker_of(proc: subprocess.Popen) -> dict:
    return {**worker_info(), "pid": proc.pid, "token": "another-process", "started": process_start(proc.pid)}


def test_a_live_worker_on_this_host_is_not_lost(other: subprocess.Popen) -> None:
    assert is_lost(_running(_worker_of(other), heartbeat_age=10_000), stale_after=300, storage=STORE) is None


def test_a_worker_whose_process_ended_is_lost() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    reason = is_lost(_running({**worker_info(), "pid": dead.pid, "token": "gone"}), stale_after=300, storage=STORE)
    assert reason == f"its worker process {dead.pid} on {HOSTNAME} is gone"


@pytest.mark.skipif(process_start(os.getpid()) is None, reason="needs /proc to read process states")
def test_a_worker_whose_process_ended_but_was_not_collected_yet_is_lost() -> None:
    """A zombie (ended, not yet waited for: an orphan waits for init to collect it) runs nothing anymore."""
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 60
        while (Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]) != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        worker = {**worker_info(), "pid": zombie.pid, "token": "ended", "started": process_start(zombie.pid)}
        assert is_lost(_running(worker), stale_after=300, storage=STORE) == f"its worker process {zombie.pid} on {HOSTNAME} is gone"
    finally:
        zombie.wait()


@pytest.mark.skipif(process_start(os.getpid()) is None, reason="needs /proc to read process start times")
def test_a_pid_now_owned_by_another_process_is_lost(other: subprocess.Popen) -> None:
    worker = {**_worker_of(other), "started": "1"}  # the same pid, started at another time
    assert "the pid now belongs to another process" in is_lost(_running(worker), stale_after=300, storage=STORE)


@pytest.mark.skipif(BOOT_ID is None, reason="needs /proc to read the boot id")
def test_a_worker_of_another_boot_is_judged_by_its_heartbeat_not_by_a_local_pid(other: subprocess.Popen) -> None:
    """Before a restart, or on another machine of the same name: a live local pid proves nothing."""
    worker = {**_worker_of(other), "boot": "another-boot"}
    assert is_lost(_running(worker, heartbeat_age=10), stale_after=300, storage=STORE) is None
    reason = is_lost(_running(worker, heartbeat_age=600), stale_after=300, storage=STORE)
    assert reason in (f"its worker {HOSTNAME}:{other.pid} sent no heartbeat for more than 300 s",
                      f"its worker {HOSTNAME}:{other.pid} was last seen before {HOSTNAME} restarted")


@pytest.mark.skipif(BOOT_TIME is None, reason="needs /proc to read the boot time")
def test_a_worker_last_seen_before_this_machine_booted_is_lost_at_once(other: subprocess.Popen) -> None:
    worker = {**_worker_of(other), "boot": "the-boot-before"}
    before_boot = (utcnow() - BOOT_TIME).total_seconds() + 60
    reason = is_lost(_running(worker, heartbeat_age=before_boot), stale_after=1e9, storage=STORE)
    assert reason == f"its worker {HOSTNAME}:{other.pid} was last seen before {HOSTNAME} restarted"


def test_a_worker_recorded_without_boot_and_start_is_judged_by_its_pid(other: subprocess.Popen) -> None:
    worker = {"host": HOSTNAME, "pid": other.pid, "token": "old-record"}
    assert is_lost(_running(worker), stale_after=300, storage=STORE) is None


def test_a_worker_on_another_host_is_lost_only_when_its_heartbeat_is_stale() -> None:
    worker = {"host": HOSTNAME + "-elsewhere", "pid": 1234, "token": "remote", "boot": "x", "started": "1"}
    assert is_lost(_running(worker, heartbeat_age=10), stale_after=300, storage=STORE) is None
    reason = is_lost(_running(worker, heartbeat_age=600), stale_after=300, storage=STORE)
    assert reason == f"its worker {HOSTNAME}-elsewhere:1234 sent no heartbeat for more than 300 s"


def test_a_trial_of_this_process_that_no_thread_runs_is_lost() -> None:
    reason = is_lost(_running(worker_info()), stale_after=300, storage=STORE)
    assert reason == "its worker in this process stopped without finishing it"


def _report_identity(queue: multiprocessing.Queue) -> None:
    queue.put((os.getpid(), worker_info(), process_start(os.getpid())))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_is_a_worker_of_its_own() -> None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_report_identity, args=(queue,))
    child.start()
    pid, info, started = queue.get(timeout=30)
    child.join(timeout=30)
    mine = worker_info()
    assert info["pid"] == pid != mine["pid"]
    assert info["token"] != mine["token"]
    assert info["started"] == started


def test_a_trial_being_asked_by_another_thread_is_not_taken_for_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    study = hypernas.create_study(strategy="random", seed=0, space=Space({"x": Float(0.0, 1.0)}))
    created, release = threading.Event(), threading.Event()
    create_trial = study.storage.create_trial

    def create_and_pause(*args: object, **kwargs: object) -> FrozenTrial:
        trial = create_trial(*args, **kwargs)  # RUNNING in the record, not yet handed to its thread
        created.set()
        release.wait(30)
        return trial

    monkeypatch.setattr(study.storage, "create_trial", create_and_pause)
    asked: list[hypernas.Trial] = []
    marked: list[int] = []
    asker = threading.Thread(target=lambda: asked.append(study.ask()))
    asker.start()
    assert created.wait(30)
    marker = threading.Thread(target=lambda: marked.extend(study.fail_lost_trials()))
    marker.start()
    marker.join(0.2)  # give it the chance to look at the half-asked trial
    release.set()
    asker.join(30)
    marker.join(30)
    assert marked == [] and study.get_trials()[0].state is TrialState.RUNNING
    assert study.tell(asked[0], 1.0).state is TrialState.COMPLETE
