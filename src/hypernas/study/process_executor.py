"""Run a study's trials in several worker processes that share its SQL storage.

Each worker process reopens the study from the storage and runs the ordinary loop; a shared
counter hands out the trial budget, so exactly ``n_trials`` are run between them. Each worker's
math libraries get an equal share of the cores (``OMP_NUM_THREADS``, unless already set). The
parent follows progress by reading the record.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hypernas.errors import ConfigError
from hypernas.record import TrialState

if TYPE_CHECKING:
    from hypernas.study.optimize import Callback, Objective
    from hypernas.study.study import Study


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


def _worker(url: str, name: str, payload: bytes, budget: SharedBudget, threads: int) -> None:
    # a fair share of the cores for each worker's math libraries (read when torch/NumPy load, below)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    from hypernas.study.optimize import worker_loop
    from hypernas.study.study import load_study

    objective, strategy, pruner, catch = pickle.loads(payload)
    study = load_study(name, url, strategy=strategy, pruner=pruner)
    try:
        worker_loop(study, objective, budget, catch, ())
    except KeyboardInterrupt:
        pass  # the interrupted trial is already recorded; the parent reports


def run_in_processes(study: Study, objective: Objective, *, n_trials: int | None, timeout: float | None,
                     n_workers: int, catch: tuple[type[BaseException], ...], callbacks: Sequence[Callback]) -> None:
    """Run ``study`` with ``n_workers`` processes; see :meth:`Study.optimize` with ``executor="process"``."""
    from hypernas.study.storage import SQLStorage

    if not isinstance(study.storage, SQLStorage) or ":memory:" in study.storage.url:
        raise ConfigError("executor='process' needs a study in a SQL database file or server (e.g. storage='runs.db'); "
                          "an in-memory study cannot be shared between processes")
    try:
        payload = pickle.dumps((objective, study.strategy, study.pruner, catch))
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ConfigError(f"executor='process' needs an objective that can be pickled, such as a module-level "
                          f"function ({exc}); use executor='thread' otherwise") from None
    ctx = mp.get_context("spawn")
    budget = SharedBudget(ctx, n_trials, None if timeout is None else time.time() + timeout)
    seen = {t.trial_id for t in study.get_trials() if t.state.is_finished}
    threads = max(1, (os.cpu_count() or 1) // n_workers)
    procs = [ctx.Process(target=_worker, args=(study.storage.url, study.name, payload, budget, threads), daemon=False)
             for _ in range(n_workers)]
    for p in procs:
        p.start()
    try:
        while any(p.is_alive() for p in procs):
            time.sleep(0.2)
            seen = _report_new(study, seen, callbacks)
    except KeyboardInterrupt:
        budget.stop.set()
        for p in procs:
            p.join(timeout=30)
        raise
    finally:
        for p in procs:
            p.join()
    _report_new(study, seen, callbacks)
    failed = [p.exitcode for p in procs if p.exitcode not in (0, None)]
    if failed:
        errors = [t.error for t in study.get_trials((TrialState.FAILED,)) if t.trial_id not in seen and t.error]
        raise ConfigError(f"{len(failed)} worker process(es) stopped with an error"
                          + (f"; last trial error: {errors[-1]}" if errors else ""))


def _report_new(study: Study, seen: set[int], callbacks: Sequence[Callback]) -> set[int]:
    for t in study.get_trials():
        if t.state.is_finished and t.trial_id not in seen:
            seen.add(t.trial_id)
            for callback in callbacks:
                callback(study, t)
    return seen
