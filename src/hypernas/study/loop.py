"""The per-trial loop every executor runs in its workers: ask, evaluate, tell, until the budget is spent.

Whatever happens to a trial is recorded before anything is raised: a result, a prune, a failure
with its message and traceback, an interrupt. Each worker calls the run's callbacks after each
trial it finishes; a worker that runs in the caller's process keeps its trials alive with a
heartbeat (:func:`keep_alive`) so that peers can tell its trials from those of a dead worker.
"""

from __future__ import annotations

import contextlib
import logging
import re
import traceback
from collections.abc import Iterable, Iterator, Sequence

from hypernas.errors import ObjectiveError, SearchExhausted, TrialPruned, TrialStateError, TrialTimedOut
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.contracts import Budget, Callback, Objective, RunningStudy
from hypernas.study.trial import Trial
from hypernas.study.workers import Heartbeat, live_trial_ids

logger = logging.getLogger("hypernas")

INTERRUPTED = "interrupted by the user (KeyboardInterrupt)"


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line, as recorded in a FAILED trial's error."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def run_trial(study: RunningStudy, objective: Objective, catch: tuple[type[BaseException], ...]) -> FrozenTrial:
    """Ask for one trial, evaluate it, and record the outcome whatever happens."""
    trial = study.ask()
    try:
        result = objective(trial)
    except TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED)
    except TrialTimedOut as exc:
        timed_out = _record_failure(study, trial, describe_exception(exc))
        logger.warning("trial %d failed: %s", trial.number, timed_out.error if timed_out else exc)
        return timed_out  # type: ignore[return-value]
    except KeyboardInterrupt:
        _record_failure(study, trial, INTERRUPTED, lost=True)
        raise
    except BaseException as exc:
        frozen = _record_failure(study, trial, describe_exception(exc), tb=traceback.format_exc())
        if isinstance(exc, catch):
            logger.warning("trial %d failed: %s", trial.number, frozen.error if frozen else exc)
            return frozen  # type: ignore[return-value]
        raise
    told = study.tell(trial, result)
    if told.state is TrialState.FAILED:  # a result that is no value (None, NaN, a string)
        logger.warning("trial %d failed: %s", told.number, told.error)
    return told


SAME_FAILURES_TO_STOP = 3
"""A study none of whose trials has succeeded stops when this many in a row failed with the same error."""

_DEPENDS_ON_THE_TRIAL = re.compile(r"\b(nan|-?inf|diverged)\b|FloatingPointError|TrialTimedOut", re.IGNORECASE)


def repeated_failure(trials: Sequence[FrozenTrial]) -> str | None:
    """The error of a study that looks misconfigured, else ``None``: no trial has succeeded yet and the
    last :data:`SAME_FAILURES_TO_STOP` failed with one error (a misspelt parameter, a missing option, an
    objective that returns None). Non-finite results and timeouts are left out: a training that diverges or
    runs long depends on the configuration tried, not on a mistake."""
    done = [t for t in trials if t.state.is_finished and not t.system_attrs.get("lost")]
    if len(done) < SAME_FAILURES_TO_STOP or any(t.state is not TrialState.FAILED for t in done):
        return None
    errors = {t.error or "" for t in sorted(done, key=lambda t: t.number)[-SAME_FAILURES_TO_STOP:]}
    if len(errors) != 1:
        return None
    error = errors.pop()
    return None if _DEPENDS_ON_THE_TRIAL.search(error) else error


def _record_failure(study: RunningStudy, trial: Trial, error: str, *, tb: str | None = None,
                    lost: bool = False) -> FrozenTrial | None:
    try:
        if tb:
            study.storage.set_trial_attr(trial.trial_id, "traceback", tb[-8000:], system=True)
        if lost:
            study.storage.set_trial_attr(trial.trial_id, "lost", True, system=True)
        return study.tell(trial, state=TrialState.FAILED, error=error)
    except TrialStateError:
        return None  # already finished elsewhere (e.g. marked interrupted by the main thread)


def worker_loop(study: RunningStudy, objective: Objective, budget: Budget, catch: tuple[type[BaseException], ...],
                callbacks: Sequence[Callback]) -> None:
    """Run trials while ``budget.claim()`` grants slots; set ``budget.stop`` when the search must end."""
    succeeded = False  # once a trial has succeeded, the study can no longer look misconfigured: no more reads for it
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
        if frozen is None or (budget.stop.is_set() and frozen.state is TrialState.FAILED and frozen.error == INTERRUPTED):
            continue
        succeeded = succeeded or frozen.state is not TrialState.FAILED
        if not succeeded:
            error = repeated_failure(study.get_trials())
            if error is not None:
                budget.stop.set()
                raise ObjectiveError(f"the study stops: its trials all failed, the last {SAME_FAILURES_TO_STOP} with "
                                     f"the same error, which looks like a mistake in the objective or its "
                                     f"configuration rather than in one trial: {error}")
        for callback in callbacks:
            callback(study, frozen)


def interrupt_running(study: RunningStudy, trial_ids: Iterable[int] | None = None) -> None:
    """Mark the trials this process is still running for ``study`` (or those of ``trial_ids``) as interrupted."""
    mine = set(live_trial_ids(study.storage) if trial_ids is None else trial_ids)
    for trial in study.get_trials((TrialState.RUNNING,)):
        if trial.trial_id in mine:
            with contextlib.suppress(TrialStateError):
                study.storage.set_trial_attr(trial.trial_id, "lost", True, system=True)
                study.tell(trial, state=TrialState.FAILED, error=INTERRUPTED)


@contextlib.contextmanager
def keep_alive(study: RunningStudy, requeue_lost: bool) -> Iterator[None]:
    """While the block runs, mark this process's trials alive in a shared (SQL) record, and fail (or
    re-queue, with ``requeue_lost``) the trials of workers found dead meanwhile."""
    if not study.storage.shared:
        yield
        return
    with Heartbeat(study.storage, on_beat=lambda: study.fail_lost_trials(requeue=requeue_lost)):
        yield
