"""Workers as processes on one machine that share the study's SQL storage (``executor="process"``).

For any picklable objective (a module-level function, or an object whose class is importable).
Each worker process reopens the study from the job's handle and runs the ordinary loop; a shared
counter hands out the trial budget, so exactly ``n_trials`` are run between them. Each worker's
math libraries get an equal share of the cores (``OMP_NUM_THREADS``, unless already set). The
caller follows progress by reading the record. A single worker runs in the calling process.

A worker process that dies without a word (killed, out of memory, a crash in native code,
``os._exit``) changes nothing but the record of its trial: the caller marks the trial it was
running FAILED as lost, with how the process ended (and, with ``requeue_lost``, queues it to run
again), gives its slot back to the budget and starts another worker process in its place. The run
gives up with :class:`~hypernas.errors.WorkerCrashedError` only when ``2 * n_workers`` worker
processes in a row die before a trial finishes. A worker that raises is not a crash: it stops the
run, and its error is raised in the caller. A caller that dies takes its worker processes with it
(they end at once, their trials left to be failed as lost when the study is resumed), so that a
resumed run spends the budget alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import signal
import tempfile
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import hypernas.errors as error_classes
from hypernas.errors import ConfigError, HypernasError, InternalError
from hypernas.record import FrozenTrial
from hypernas.study.contracts import Callback, RunningStudy
from hypernas.study.executors.base import EXECUTORS, Executor, Job
from hypernas.study.executors.pool import STARTING, PositionBudget, SharedBudget, WorkerPool, check_shared, serialized
from hypernas.study.executors.thread import ThreadExecutor
from hypernas.study.loop import keep_alive, worker_loop
from hypernas.study.workers import HOSTNAME

NO_MAIN_GUARD = ("executor='process' starts worker processes that import your script again: "
                 "put the code that runs the study under `if __name__ == \"__main__\":`")
EXIT_NO_MAIN_GUARD = 78  # a worker process found itself running the study while importing the main script
EXIT_CALLER_GONE = 79  # a worker process whose caller died ended itself


def _end_with_the_caller() -> None:
    """End this worker process at once when the process that runs the study dies (killed, crashed). An orphan
    would go on spending the run's budget while ``hypernas resume`` counts it afresh; ended, it leaves its trial
    RUNNING with a dead pid, which the resumed study fails as lost (queued again with ``--requeue``)."""
    caller = mp.parent_process()
    if caller is None:
        return

    def watch() -> None:
        wait([caller.sentinel])
        os._exit(EXIT_CALLER_GONE)

    threading.Thread(target=watch, name="hypernas-caller-watch", daemon=True).start()


def _worker(job_file: str, budget: SharedBudget, worker: int, threads: int, reports: Any) -> None:
    _end_with_the_caller()
    # a fair share of the cores for each worker's math libraries (read when the objective's modules load, below)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    budget.started(worker)  # from here on, an error is reported rather than taken for a crash
    try:
        # what the parent pickled for this run, not the record
        objective, handle, catch = pickle.loads(Path(job_file).read_bytes())
        study = handle.open()
        slots = PositionBudget(budget, worker)
        # the interrupted trial is already recorded; the parent reports
        with contextlib.suppress(KeyboardInterrupt), keep_alive(study, requeue_lost=False):
            worker_loop(study, slots.tracked(objective), slots, catch, ())
    except BaseException as exc:
        budget.stop.set()
        mistake = isinstance(exc, HypernasError) and not isinstance(exc, InternalError)
        reports.put((worker, mistake, type(exc).__name__, str(exc)))
        if not mistake:  # a bug or an uncaught error of the objective: its traceback, and a failed exit
            raise


def _how_it_ended(exitcode: int) -> str:
    if exitcode >= 0:
        return f"exited with code {exitcode}"
    try:
        return f"was killed by {signal.Signals(-exitcode).name}"
    except ValueError:
        return f"was killed by signal {-exitcode}"


def _importing_main() -> bool:
    """Whether this process was spawned by multiprocessing and is still importing the caller's main script,
    before its own task (the flag multiprocessing itself checks before it refuses to start a process)."""
    return bool(getattr(mp.current_process(), "_inheriting", False))


@EXECUTORS.register("process")
class ProcessExecutor(Executor):
    """``job.n_workers`` spawned processes; the study must be in a SQL database file or server.

    A worker process that dies is replaced and its trial failed as lost (see the module's docstring).
    A script that runs a study with it must do so under ``if __name__ == "__main__":``: each worker
    process imports the script again, and one that finds itself running the study there exits at
    once, so that the caller raises one :class:`~hypernas.errors.ConfigError` that says so.
    """

    def check(self, study: RunningStudy, job: Job) -> None:
        """Refuse a study that processes cannot share. In one of its own worker processes that reaches this
        while it imports the caller's script (no main guard), exit at once with :data:`EXIT_NO_MAIN_GUARD`,
        which the caller turns into one :class:`~hypernas.errors.ConfigError`."""
        if job.n_workers == 1:
            return
        if _importing_main():
            raise SystemExit(EXIT_NO_MAIN_GUARD)
        check_shared(study, "process")

    def run(self, study: RunningStudy, job: Job, callbacks: Sequence[Callback]) -> None:
        if job.n_workers == 1:
            ThreadExecutor().run(study, job, callbacks)
            return
        payload = serialized(job, pickle.dumps, "process", "such as a module-level function or a class that can be imported")
        with _job_file(payload) as job_file:
            _WorkerProcesses(study, job, job_file).drive(callbacks)


class _WorkerProcesses(WorkerPool):
    """The worker processes of one run, by position (see :class:`~hypernas.study.executors.pool.WorkerPool`)."""

    def __init__(self, study: RunningStudy, job: Job, job_file: str) -> None:
        self.ctx = mp.get_context("spawn")
        deadline = None if job.timeout is None else time.time() + job.timeout
        self.shared = SharedBudget(job.n_trials, deadline, job.n_workers, self.ctx)
        super().__init__(study, job, self.shared)
        self.job_file = job_file
        self.threads = max(1, (os.cpu_count() or 1) // job.n_workers)
        self.reports = self.ctx.SimpleQueue()
        self.processes: dict[int, BaseProcess] = {}
        self.mistake: HypernasError | None = None  # what to raise as it is: a user mistake, a script without guard
        self.reported: set[int] = set()  # positions whose process reported the error it ends with
        self.raised = False  # a worker process ended with an error that is no user mistake

    @property
    def running(self) -> Collection[int]:
        return self.processes.keys()

    def start(self, position: int) -> None:
        proc = self.ctx.Process(target=_worker, daemon=False,
                                args=(self.job_file, self.shared, position, self.threads, self.reports))
        proc.start()
        self.processes[position] = proc

    def ended(self, timeout: float) -> list[int]:
        wait([p.sentinel for p in self.processes.values()], timeout=timeout)
        return [position for position, p in self.processes.items() if not p.is_alive()]

    def settle(self, position: int, progress: int) -> None:
        """The error the ended process reported, a failed start, or a crash."""
        proc = self.processes.pop(position)
        self._read_reports()
        exitcode = proc.exitcode or 0
        if exitcode == 0:
            return
        if position in self.reported:
            self.failures.append(f"{self.name(position, HOSTNAME, proc.pid)} {_how_it_ended(exitcode)}")
        elif self.shared.doing[position] == STARTING and exitcode > 0:  # it failed importing the main script
            self.budget.stop.set()
            detail = "" if exitcode == EXIT_NO_MAIN_GUARD else \
                f" ({self.name(position, HOSTNAME, proc.pid)} {_how_it_ended(exitcode)} while importing it)"
            self.mistake = self.mistake or ConfigError(NO_MAIN_GUARD + detail)
        else:
            self.crashed(position, HOSTNAME, proc.pid, _how_it_ended(exitcode), progress)

    def stop_all(self, interrupted: bool) -> None:
        """Wait a while for the workers to finish their trials (on Ctrl-C, the terminal interrupted them too),
        then end those still running."""
        deadline = time.monotonic() + self.GRACE
        for p in self.processes.values():
            p.join(timeout=max(0.0, deadline - time.monotonic()))
        for p in self.processes.values():
            if p.is_alive():
                p.terminate()
                p.join()

    def _read_reports(self) -> None:
        while not self.reports.empty():
            position, mistake, name, message = self.reports.get()
            self.reported.add(position)
            if not mistake:
                self.raised = True
            elif self.mistake is None:
                self.mistake = _user_mistake(name, message)

    def raise_for_failures(self, finished: Sequence[FrozenTrial]) -> None:
        self._read_reports()
        if self.mistake is not None:
            raise self.mistake
        if self.raised or self.gave_up:
            raise self.crash_error(finished)


@contextlib.contextmanager
def _job_file(payload: bytes) -> Iterator[str]:
    """A temporary file that holds the pickled job while the run lasts. Worker processes read it rather than
    receive it when they start: a process that dies before reading what it is sent would block the sender."""
    fd, path = tempfile.mkstemp(prefix="hypernas-job-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        yield path
    finally:
        os.unlink(path)


def _user_mistake(name: str, message: str) -> HypernasError:
    """The error a worker reported, as the same class of :mod:`hypernas.errors` (by name, nothing else)."""
    cls = getattr(error_classes, name, None)
    if isinstance(cls, type) and issubclass(cls, HypernasError) and not issubclass(cls, InternalError):
        return cls(message)
    return ConfigError(message)
