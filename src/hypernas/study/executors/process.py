"""Workers as processes on one machine that share the study's SQL storage (``executor="process"``).

For any picklable objective (a module-level function, or an object whose class is importable).
Each worker process reopens the study from the job's handle and runs the ordinary loop; a shared
counter hands out the trial budget, so exactly ``n_trials`` are run between them. Each worker's
math libraries get an equal share of the cores (``OMP_NUM_THREADS``, unless already set). The
caller follows progress by reading the record. A single worker runs in the calling process.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import signal
import time
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import Any

import hypernas.errors as error_classes
from hypernas.errors import ConfigError, HypernasError, InternalError, WorkerCrashedError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.contracts import Callback, RunningStudy
from hypernas.study.executors.base import EXECUTORS, Executor, FinishedTrials, Job
from hypernas.study.executors.thread import ThreadExecutor
from hypernas.study.loop import keep_alive, worker_loop


class SharedBudget:
    """Trial slots shared by processes: a counter, a stop flag and a wall-clock deadline."""

    def __init__(self, ctx: Any, n_trials: int | None, deadline: float | None) -> None:
        self.n_trials = n_trials
        self.deadline = deadline
        self.taken = ctx.Value("i", 0)
        self.stop = ctx.Event()

    def claim(self) -> bool:
        if self.stop.is_set() or (self.deadline is not None and time.time() >= self.deadline):
            return False
        with self.taken.get_lock():
            if self.n_trials is not None and self.taken.value >= self.n_trials:
                return False
            self.taken.value += 1
            return True


def _worker(payload: bytes, budget: SharedBudget, threads: int, mistakes: Any) -> None:
    # a fair share of the cores for each worker's math libraries (read when the objective's modules load, below)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    try:
        objective, handle, catch = pickle.loads(payload)  # what the parent pickled for this run, not the record
        study = handle.open()
        # the interrupted trial is already recorded; the parent reports
        with contextlib.suppress(KeyboardInterrupt), keep_alive(study, requeue_lost=False):
            worker_loop(study, objective, budget, catch, ())
    except HypernasError as exc:
        budget.stop.set()
        if isinstance(exc, InternalError):
            raise
        mistakes.put((type(exc).__name__, str(exc)))  # a user mistake: the parent raises it as it is
    except BaseException:
        budget.stop.set()
        raise


def _how_it_ended(exitcode: int) -> str:
    if exitcode >= 0:
        return f"exited with code {exitcode}"
    try:
        return f"was killed by {signal.Signals(-exitcode).name}"
    except ValueError:
        return f"was killed by signal {-exitcode}"


@EXECUTORS.register("process")
class ProcessExecutor(Executor):
    """``job.n_workers`` spawned processes; the study must be in a SQL database file or server."""

    def run(self, study: RunningStudy, job: Job, callbacks: Sequence[Callback]) -> None:
        if job.n_workers == 1:
            ThreadExecutor().run(study, job, callbacks)
            return
        if not study.storage.shared or ":memory:" in study.storage.url:
            raise ConfigError("executor='process' needs a study in a SQL database file or server (e.g. storage='runs.db'); "
                              "an in-memory study cannot be shared between processes")
        payload = _pickled(job)
        ctx = mp.get_context("spawn")
        budget = SharedBudget(ctx, job.n_trials, None if job.timeout is None else time.time() + job.timeout)
        finished = FinishedTrials(study)
        threads = max(1, (os.cpu_count() or 1) // job.n_workers)
        mistakes = ctx.SimpleQueue()
        procs = [ctx.Process(target=_worker, args=(payload, budget, threads, mistakes), daemon=False)
                 for _ in range(job.n_workers)]
        for p in procs:
            p.start()
        try:
            while any(p.is_alive() for p in procs):
                time.sleep(0.2)
                finished.report(callbacks)
        except BaseException:  # Ctrl-C, or a callback that raised: the workers finish their trials and stop
            budget.stop.set()
            _stop(procs)
            raise
        finished.report(callbacks)
        if not mistakes.empty():
            raise _user_mistake(*mistakes.get())
        _raise_for_crashed(procs, finished.trials)


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


def _raise_for_crashed(procs: Sequence[BaseProcess], finished: Sequence[FrozenTrial]) -> None:
    """Raise :class:`WorkerCrashedError` naming each worker process that did not end cleanly."""
    crashed = [f"worker process {i + 1} of {len(procs)} (pid {p.pid}) {_how_it_ended(p.exitcode)}"
               for i, p in enumerate(procs) if p.exitcode not in (0, None)]
    if crashed:
        errors = [t.error for t in finished if t.state is TrialState.FAILED and t.error]
        raise WorkerCrashedError("; ".join(crashed) + (f"; last trial error: {errors[-1]}" if errors else ""))
