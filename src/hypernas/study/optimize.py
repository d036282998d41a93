"""The optimization loop: ask, evaluate, tell, until the budget is spent, in one or several workers."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from hypernas.errors import ConfigError, SearchExhausted, TrialPruned, TrialStateError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.process_executor import run_in_processes
from hypernas.study.progress import ProgressBar
from hypernas.study.storage import SQLStorage
from hypernas.study.trial import Trial
from hypernas.study.workers import Heartbeat, live_trial_ids

if TYPE_CHECKING:
    from hypernas.study.study import Study

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]

logger = logging.getLogger("hypernas")

INTERRUPTED = "interrupted by the user (KeyboardInterrupt)"


class _Budget:
    """Hands out trial slots until ``n_trials`` are taken or ``timeout`` seconds have passed."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.taken = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self.stop.is_set():
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return False
            if self.n_trials is not None and self.taken >= self.n_trials:
                return False
            self.taken += 1
            return True


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line, as recorded in a FAILED trial's error."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


EXECUTORS = ("thread", "process")


def _check_budget(n_trials: int | None, timeout: float | None, n_workers: int, executor: str) -> None:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise ConfigError(f"n_trials must be an integer >= 0, got {n_trials!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ConfigError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ConfigError(f"n_workers must be an integer >= 1, got {n_workers!r}")
    if executor not in EXECUTORS:
        raise ConfigError(f"executor {executor!r} is not known; allowed: {', '.join(EXECUTORS)}")


def run_trial(study: Study, objective: Objective, catch: tuple[type[BaseException], ...]) -> FrozenTrial:
    """Ask for one trial, evaluate it, and record the outcome whatever happens."""
    trial = study.ask()
    try:
        result = objective(trial)
    except TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED)
    except KeyboardInterrupt:
        _record_failure(study, trial, INTERRUPTED, lost=True)
        raise
    except BaseException as exc:
        frozen = _record_failure(study, trial, describe_exception(exc), tb=traceback.format_exc())
        if isinstance(exc, catch):
            logger.warning("trial %d failed: %s", trial.number, frozen.error if frozen else exc)
            return frozen  # type: ignore[return-value]
        raise
    return study.tell(trial, result)


def _record_failure(study: Study, trial: Trial, error: str, *, tb: str | None = None,
                    lost: bool = False) -> FrozenTrial | None:
    try:
        if tb:
            study.storage.set_trial_attr(trial.trial_id, "traceback", tb[-8000:], system=True)
        if lost:
            study.storage.set_trial_attr(trial.trial_id, "lost", True, system=True)
        return study.tell(trial, state=TrialState.FAILED, error=error)
    except TrialStateError:
        return None  # already finished elsewhere (e.g. marked interrupted by the main thread)


def worker_loop(study: Study, objective: Objective, budget: Any, catch: tuple[type[BaseException], ...],
                callbacks: Sequence[Callback]) -> None:
    """Run trials while ``budget.claim()`` grants slots; set ``budget.stop`` when the search must end."""
    while budget.claim():
        try:
            frozen = run_trial(study, objective, catch)
        except SearchExhausted as exc:
            logger.info("%s", exc)
            budget.stop.set()
            return
        except BaseException:
            budget.stop.set()
            raise
        if frozen is None or budget.stop.is_set() and frozen.state is TrialState.FAILED and frozen.error == INTERRUPTED:
            continue
        for callback in callbacks:
            callback(study, frozen)


def _interrupt_running(study: Study) -> None:
    """Mark the trials this process is still running for ``study`` as interrupted."""
    mine = set(live_trial_ids(study.storage))
    for trial in study.get_trials((TrialState.RUNNING,)):
        if trial.trial_id in mine:
            with contextlib.suppress(TrialStateError):
                study.storage.set_trial_attr(trial.trial_id, "lost", True, system=True)
                study.tell(trial, state=TrialState.FAILED, error=INTERRUPTED)


def run_optimization(study: Study, objective: Objective, *, n_trials: int | None, timeout: float | None,
                     n_workers: int, catch: tuple[type[BaseException], ...], callbacks: Sequence[Callback],
                     show_progress: bool, requeue_lost: bool, executor: str = "thread") -> None:
    """Run trials for ``study`` until the budget is spent; see :meth:`Study.optimize`."""
    _check_budget(n_trials, timeout, n_workers, executor)
    if not callable(objective):
        raise ConfigError(f"objective must be callable as objective(trial), got {objective!r}")
    catch = (catch,) if isinstance(catch, type) else tuple(catch)
    for kind in catch:
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            raise ConfigError(f"catch must hold exception classes such as ValueError, got {kind!r}")
    study.fail_lost_trials(requeue=requeue_lost)
    budget = _Budget(n_trials, timeout)
    progress = ProgressBar(study, n_trials, timeout, enabled=show_progress)
    heartbeat = (Heartbeat(study.storage, on_beat=lambda: study.fail_lost_trials(requeue=requeue_lost))
                 if isinstance(study.storage, SQLStorage) else contextlib.nullcontext())
    all_callbacks = [progress.update, *callbacks]
    with heartbeat, progress:
        if executor == "process" and n_workers > 1:
            run_in_processes(study, objective, n_trials=n_trials, timeout=timeout, n_workers=n_workers, catch=catch,
                             callbacks=all_callbacks)
            return
        if n_workers == 1:
            worker_loop(study, objective, budget, catch, all_callbacks)
            return
        pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="hypernas-worker")
        futures = [pool.submit(worker_loop, study, objective, budget, catch, all_callbacks) for _ in range(n_workers)]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for f in done:
                f.result()
            for f in futures:
                f.result()
        except KeyboardInterrupt:
            budget.stop.set()
            _interrupt_running(study)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        except BaseException:
            budget.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
