"""Who runs a trial: worker identity, and finding trials whose worker died."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypernas.study.storage import RunningTrial, Storage
from hypernas.study.storage.base import utcnow

PROCESS_TOKEN = uuid.uuid4().hex
HOSTNAME = socket.gethostname()


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux clock ticks since boot), to tell a reused pid from its first owner."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name in parentheses may contain spaces
    return fields[19] if len(fields) > 19 else None  # field 22 of proc(5); fields here start at field 3


def _boot_time() -> datetime | None:
    """When this machine booted, as naive UTC like the stored heartbeats."""
    for line in (_read("/proc/stat") or "").splitlines():
        if line.startswith("btime "):
            return datetime.fromtimestamp(int(line.split()[1]), timezone.utc).replace(tzinfo=None)
    return None


BOOT_ID = _read("/proc/sys/kernel/random/boot_id")
BOOT_TIME = _boot_time()
_START = process_start(os.getpid())

_live_lock = threading.Lock()
_live_trials: set[tuple[str, int]] = set()  # (storage key, trial id) of the trials this process runs


def _renew_after_fork() -> None:
    """A forked child is another worker: its own token and start time, none of its parent's trials."""
    global PROCESS_TOKEN, _START, _live_lock
    PROCESS_TOKEN = uuid.uuid4().hex
    _START = process_start(os.getpid())
    _live_lock = threading.Lock()
    _live_trials.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_after_fork)


def worker_info() -> dict[str, Any]:
    """Identity recorded with each RUNNING trial."""
    return {"host": HOSTNAME, "pid": os.getpid(), "token": PROCESS_TOKEN, "boot": BOOT_ID, "started": _START}


WORKER_ATTR = "worker"
"""The system attribute naming the worker that ran a trial (host, process and thread), for the timeline."""


def worker_label() -> str:
    """This worker as the record shows it: ``host pid N``, with the thread's name where it is not the main one."""
    label = f"{HOSTNAME} pid {os.getpid()}"
    thread = threading.current_thread()
    return label if thread is threading.main_thread() else f"{label} {thread.name}"


def mark_live(storage: Storage, trial_id: int) -> None:
    with _live_lock:
        _live_trials.add((storage.key, trial_id))


def mark_done(storage: Storage, trial_id: int) -> None:
    with _live_lock:
        _live_trials.discard((storage.key, trial_id))


def live_trial_ids(storage: Storage) -> list[int]:
    """Ids of the trials of ``storage`` that this process is running."""
    key = storage.key
    with _live_lock:
        return [tid for k, tid in _live_trials if k == key]


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (one that ended and waits for its parent, or for
    init after its parent died, to collect it: it runs nothing anymore)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _read(f"/proc/{pid}/stat")
    return stat is None or stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def is_lost(running: RunningTrial, stale_after: float, storage: Storage) -> str | None:
    """Why a RUNNING trial's worker must be dead, or ``None`` if it may still be alive.

    On this machine (same host name and, where known, same boot) the worker's process is checked
    directly, and a pid now owned by another process means gone; a trial of this very process
    that it is not running anymore is lost too. A worker of the same host name but another boot
    is lost if it was last seen before this machine booted (the machine restarted). Elsewhere
    (another host, or another machine of the same name) a heartbeat older than ``stale_after``
    seconds means lost.
    """
    worker = running.worker or {}
    host, pid, token = worker.get("host"), worker.get("pid"), worker.get("token")
    boot, started = worker.get("boot"), worker.get("started")
    if host == HOSTNAME and (not boot or not BOOT_ID or boot == BOOT_ID) and isinstance(pid, int):
        if token == PROCESS_TOKEN:
            with _live_lock:
                alive = (storage.key, running.trial.trial_id) in _live_trials
            return None if alive else "its worker in this process stopped without finishing it"
        if not _pid_alive(pid) or pid == os.getpid():
            return f"its worker process {pid} on {host} is gone"
        if started and process_start(pid) not in (None, started):
            return f"its worker process {pid} on {host} is gone (the pid now belongs to another process)"
        return None
    if host == HOSTNAME and BOOT_TIME is not None and running.heartbeat is not None and running.heartbeat < BOOT_TIME:
        return f"its worker {host}:{pid} was last seen before {host} restarted"
    if running.heartbeat is None or utcnow() - running.heartbeat > timedelta(seconds=stale_after):
        return f"its worker {host}:{pid} sent no heartbeat for more than {stale_after:g} s"
    return None


HEARTBEAT_SECONDS = 30.0


class Heartbeat:
    """A daemon thread that marks this process's running trials alive every ``interval`` seconds.

    ``on_beat`` runs after each heartbeat (the optimize loop passes the check for trials whose
    worker died meanwhile, so a dead peer's trial is failed or re-queued while the study runs).
    """

    def __init__(self, storage: Storage, interval: float | None = None,
                 on_beat: Callable[[], object] | None = None) -> None:
        self.storage = storage
        self.interval = HEARTBEAT_SECONDS if interval is None else interval
        self.on_beat = on_beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hypernas-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.storage.heartbeat(live_trial_ids(self.storage))
                if self.on_beat is not None:
                    self.on_beat()
            except Exception:  # a missed heartbeat or check is harmless; the next one retries
                pass
