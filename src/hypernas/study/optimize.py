"""``Study.optimize``: check the run's arguments, then let the chosen executor run the loop until the budget is spent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypernas.errors import ConfigError
from hypernas.study.contracts import Callback, Objective, RunningStudy
from hypernas.study.executors import EXECUTORS, Executor, Job
from hypernas.study.loop import keep_alive
from hypernas.study.progress import ProgressBar
from hypernas.study.time_limit import TimeLimited
from hypernas.validate import check_int, check_number

OWNER = "optimize"


def _check_catch(catch: type[BaseException] | Sequence[type[BaseException]]) -> tuple[type[BaseException], ...]:
    kinds = (catch,) if isinstance(catch, type) else tuple(catch)
    for kind in kinds:
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            raise ConfigError(f"{OWNER}: catch must hold exception classes such as ValueError, got {kind!r}")
    return kinds


def run_optimization(study: RunningStudy, objective: Objective, *, n_trials: int | None, timeout: float | None,
                     n_workers: int, catch: type[BaseException] | Sequence[type[BaseException]],
                     callbacks: Sequence[Callback], show_progress: bool, requeue_lost: bool,
                     executor: str | Mapping[str, Any] | Executor = "thread", trial_timeout: float | None = None) -> None:
    """Run trials for ``study`` until the budget is spent; see :meth:`Study.optimize`."""
    n_trials = check_int(OWNER, "n_trials", n_trials, 0, optional=True)
    timeout = check_number(OWNER, "timeout", timeout, 0, low_open=True, optional=True)
    trial_timeout = check_number(OWNER, "trial_timeout", trial_timeout, 0, low_open=True, optional=True)
    n_workers = check_int(OWNER, "n_workers", n_workers, 1)
    runner = executor if isinstance(executor, Executor) else EXECUTORS.build(executor)
    if not callable(objective):
        raise ConfigError(f"{OWNER}: objective must be callable as objective(trial), got {objective!r}")
    check_space = getattr(objective, "check_space", None)
    if callable(check_space):
        check_space(study.space)
    run = objective if trial_timeout is None else TimeLimited(objective, trial_timeout)
    job = Job(study.handle(), run, _check_catch(catch), n_trials, timeout, n_workers, requeue_lost)
    runner.check(study, job)
    study.fail_lost_trials(requeue=requeue_lost)
    progress = ProgressBar(study, n_trials, timeout, enabled=show_progress)
    try:
        with keep_alive(study, requeue_lost), progress:
            runner.run(study, job, [progress.update, *callbacks])
    finally:  # however the run ended, no trial of a worker that is gone stays RUNNING
        study.fail_lost_trials(requeue=requeue_lost)
