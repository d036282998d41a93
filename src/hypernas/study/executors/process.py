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
import logging
import multiprocessing as mp
import os
import pickle
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import hypernas.errors as error_classes
from hypernas.errors import ConfigError, HypernasError, InternalError, WorkerCrashedError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.contracts import Callback, Objective, RunningStudy
from hypernas.study.executors.base import EXECUTORS, Executor, FinishedTrials, Job
from hypernas.study.executors.thread import ThreadExecutor
from hypernas.study.loop import keep_alive, worker_loop
from hypernas.study.trial import Trial
from hypernas.study.workers import HOSTNAME

logger = logging.getLogger("hypernas")

NO_MAIN_GUARD = ("executor='process' starts worker processes that import your script again: "
                 "put the code that runs the study under `if __name__ == \"__main__\":`")
EXIT_NO_MAIN_GUARD = 78  # a worker process found itself running the study while importing the main script
EXIT_CALLER_GONE = 79  # a worker process whose caller died ended itself

# what a worker position is doing with its slot of the budget
STARTING, IDLE, CLAIMED, RUNNING = 0, 1, 2, 3


class SharedBudget:
    """Trial slots shared by processes: a counter, a stop flag, a wall-clock deadline, and, for each
    worker position, what its process is doing with its slot (so that a dead one's slot can be given back)."""

    def __init__(self, ctx: Any, n_trials: int | None, deadline: float | None, n_workers: int) -> None:
        self.n_trials = n_trials
        self.deadline = deadline
        self.taken = ctx.Value("i", 0)
        self.stop = ctx.Event()
        self.doing = ctx.Array("b", n_workers, lock=False)  # STARTING .. RUNNING, by worker position
        self.trial_ids = ctx.Array("q", n_workers, lock=False)  # the trial each position's process evaluates

    def remaining(self) -> bool:
        """Whether a worker asking now could be granted a slot."""
        if self.stop.is_set() or (self.deadline is not None and time.time() >= self.deadline):
            return False
        return self.n_trials is None or self.taken.value < self.n_trials

    def claim(self, worker: int) -> bool:
        """Grant worker position ``worker`` a slot (its previous one, if any, is spent)."""
        with self.taken.get_lock():
            self.doing[worker] = IDLE
            if not self.remaining():
                return False
            self.taken.value += 1
            self.doing[worker] = CLAIMED
            return True

    def evaluating(self, worker: int, trial_id: int) -> None:
        """The slot of position ``worker`` is now trial ``trial_id``, being evaluated."""
        self.trial_ids[worker] = trial_id
        self.doing[worker] = RUNNING

    def release(self, worker: int, counts: Callable[[int], bool]) -> None:
        """After the process at position ``worker`` died: give its slot back unless it was spent on a trial
        that counts (``counts(trial_id)`` tells for the trial it was evaluating); the position starts afresh."""
        doing = self.doing[worker]
        unused = doing == CLAIMED or (doing == RUNNING and not counts(self.trial_ids[worker]))
        self.doing[worker] = STARTING
        if unused:
            with self.taken.get_lock():
                self.taken.value -= 1


class _PositionBudget:
    """One worker process's view of the shared budget: the :class:`~hypernas.study.contracts.Budget` it runs on."""

    def __init__(self, budget: SharedBudget, worker: int) -> None:
        self.budget = budget
        self.worker = worker
        self.stop = budget.stop

    def claim(self) -> bool:
        return self.budget.claim(self.worker)

    def tracked(self, objective: Objective) -> Objective:
        """``objective``, noting in the shared budget which trial this slot became before it runs."""
        def evaluate(trial: Trial) -> Any:
            self.budget.evaluating(self.worker, trial.trial_id)
            return objective(trial)
        return evaluate


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
    budget.doing[worker] = IDLE  # started: from here on, an error is reported rather than taken for a crash
    try:
        # what the parent pickled for this run, not the record
        objective, handle, catch = pickle.loads(Path(job_file).read_bytes())
        study = handle.open()
        slots = _PositionBudget(budget, worker)
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
        if not study.storage.shared or ":memory:" in study.storage.url:
            raise ConfigError("executor='process' needs a study in a SQL database file or server (e.g. storage='runs.db'); "
                              "an in-memory study cannot be shared between processes")

    def run(self, study: RunningStudy, job: Job, callbacks: Sequence[Callback]) -> None:
        if job.n_workers == 1:
            ThreadExecutor().run(study, job, callbacks)
            return
        finished = FinishedTrials(study)
        with _job_file(_pickled(job)) as job_file:
            workers = _WorkerProcesses(study, job, job_file)
            try:
                workers.start_all()
                while workers.running:
                    for position in workers.ended(timeout=0.2):
                        finished.report(callbacks)  # so that a trial finished before a crash counts as progress
                        workers.settle(position, finished.trials)
                    finished.report(callbacks)
            except BaseException:  # Ctrl-C, or a callback that raised: the workers finish their trials and stop
                workers.budget.stop.set()
                _stop(list(workers.running.values()))
                raise
        finished.report(callbacks)
        workers.raise_for_failures(finished.trials)


class _WorkerProcesses:
    """The worker processes of one run, by position: started, settled when one ends, replaced after a crash."""

    def __init__(self, study: RunningStudy, job: Job, job_file: str) -> None:
        self.study = study
        self.job = job
        self.job_file = job_file
        self.ctx = mp.get_context("spawn")
        deadline = None if job.timeout is None else time.time() + job.timeout
        self.budget = SharedBudget(self.ctx, job.n_trials, deadline, job.n_workers)
        self.threads = max(1, (os.cpu_count() or 1) // job.n_workers)
        self.reports = self.ctx.SimpleQueue()
        self.running: dict[int, BaseProcess] = {}
        self.failures: list[str] = []  # the worker processes that ended badly, and how
        self.mistake: HypernasError | None = None  # what to raise as it is: a user mistake, a script without guard
        self.reported: set[int] = set()  # positions whose process reported the error it ends with
        self.raised = False  # a worker process ended with an error that is no user mistake
        self.crashes_in_a_row = 0
        self.gave_up = False
        self._progress = 0  # trials that count, finished when the last crash was seen

    def start_all(self) -> None:
        for position in range(self.job.n_workers):
            self._start(position)

    def _start(self, position: int) -> None:
        proc = self.ctx.Process(target=_worker, daemon=False,
                                args=(self.job_file, self.budget, position, self.threads, self.reports))
        proc.start()
        self.running[position] = proc

    def _name(self, position: int, proc: BaseProcess) -> str:
        return f"worker process {position + 1} of {self.job.n_workers} (pid {proc.pid})"

    def ended(self, timeout: float) -> list[int]:
        """Positions whose process has ended, after waiting up to ``timeout`` seconds for one to end."""
        wait([p.sentinel for p in self.running.values()], timeout=timeout)
        return [position for position, p in self.running.items() if not p.is_alive()]

    def settle(self, position: int, finished: Sequence[FrozenTrial]) -> None:
        """Account for the ended process at ``position``: the error it reported, a failed start, or a crash."""
        proc = self.running.pop(position)
        self._read_reports()
        exitcode = proc.exitcode or 0
        if exitcode == 0:
            return
        if position in self.reported:
            self.failures.append(f"{self._name(position, proc)} {_how_it_ended(exitcode)}")
        elif self.budget.doing[position] == STARTING and exitcode > 0:  # it failed importing the main script
            self.budget.stop.set()
            detail = "" if exitcode == EXIT_NO_MAIN_GUARD else \
                f" ({self._name(position, proc)} {_how_it_ended(exitcode)} while importing it)"
            self.mistake = self.mistake or ConfigError(NO_MAIN_GUARD + detail)
        else:
            self._crashed(position, proc, sum(not _is_lost(t.system_attrs) for t in finished))

    def _crashed(self, position: int, proc: BaseProcess, progress: int) -> None:
        """Fail the dead process's trial as lost (queued again with ``requeue_lost``), give its slot back and
        start another process in its place while the budget lasts; give up after too many crashes in a row."""
        how = _how_it_ended(proc.exitcode or 0)
        name = self._name(position, proc)
        self.failures.append(f"{name} {how}")
        storage = self.study.storage
        mine = [r.trial for r in storage.running_trials(self.study.study_id)
                if (r.worker or {}).get("pid") == proc.pid and (r.worker or {}).get("host") == HOSTNAME]
        reason = f"its worker process {proc.pid} on {HOSTNAME} {how}"
        self.study.fail_lost_trials(requeue=self.job.requeue_lost, reasons={t.trial_id: reason for t in mine})
        self.budget.release(position, counts=lambda trial_id: not _is_lost(storage.get_trial(trial_id).system_attrs))
        self.crashes_in_a_row = 1 if progress > self._progress else self.crashes_in_a_row + 1
        self._progress = progress
        what = ""
        if mine:
            what = f"; its trial {', '.join(str(t.number) for t in mine)} is FAILED as lost" + \
                (" and queued to run again" if self.job.requeue_lost else "")
        if self.crashes_in_a_row >= 2 * self.job.n_workers:
            self.gave_up = True
            self.budget.stop.set()
        elif self.budget.remaining():
            self._start(position)
            what += "; a new worker process takes its place"
        logger.warning("%s %s%s", name, how, what)

    def _read_reports(self) -> None:
        while not self.reports.empty():
            position, mistake, name, message = self.reports.get()
            self.reported.add(position)
            if not mistake:
                self.raised = True
            elif self.mistake is None:
                self.mistake = _user_mistake(name, message)

    def raise_for_failures(self, finished: Sequence[FrozenTrial]) -> None:
        """Raise what ended the run, if anything did; crashes that were made up for are only logged."""
        self._read_reports()
        if self.mistake is not None:
            raise self.mistake
        if self.raised or self.gave_up:
            errors = [t.error for t in finished if t.state is TrialState.FAILED and t.error and not _is_lost(t.system_attrs)]
            gave_up = f"; gave up after {self.crashes_in_a_row} worker processes in a row died before a trial " \
                      "finished" if self.gave_up else ""
            raise WorkerCrashedError("; ".join(self.failures) + gave_up
                                     + (f"; last trial error: {errors[-1]}" if errors else ""))


def _is_lost(system_attrs: dict[str, Any]) -> bool:
    return bool(system_attrs.get("lost"))


def _pickled(job: Job) -> bytes:
    """What each worker needs of ``job``, pickled once; if that fails, the part that cannot be pickled is named."""
    unpicklable = (pickle.PicklingError, AttributeError, TypeError)
    try:
        return pickle.dumps((job.objective, job.handle, job.catch))
    except unpicklable as whole:
        culprit, reason = "job", whole
    for what, part in {"objective": job.objective, "strategy and pruner of the study": job.handle,
                       "catch": job.catch}.items():
        try:
            pickle.dumps(part)
        except unpicklable as exc:
            culprit, reason = what, exc
            break
    raise ConfigError(f"executor='process' needs a {culprit} that can be pickled, such as a module-level "
                      f"function or a class that can be imported ({reason}); use executor='thread' otherwise")


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


def _stop(procs: Sequence[BaseProcess], grace: float = 30.0) -> None:
    """Wait up to ``grace`` seconds for the workers to finish their trials, then end those still running."""
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(timeout=max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join()


def _user_mistake(name: str, message: str) -> HypernasError:
    """The error a worker reported, as the same class of :mod:`hypernas.errors` (by name, nothing else)."""
    cls = getattr(error_classes, name, None)
    if isinstance(cls, type) and issubclass(cls, HypernasError) and not issubclass(cls, InternalError):
        return cls(message)
    return ConfigError(message)
