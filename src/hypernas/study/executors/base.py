"""The executor contract: run the per-trial loop in some workers until the shared budget is spent.

An executor gets the caller's live study, to use only in the caller's process, and a :class:`Job`:
the objective, the budget, and a picklable :attr:`Job.handle` that reopens the study wherever a
worker runs. A live study never crosses a process boundary: workers elsewhere call
``job.handle.open()`` and run :func:`hypernas.study.loop.worker_loop` on what it returns, and
results come back only through the study's storage, where each finished trial is one committed
transaction, so a worker that dies loses nothing it finished.

A trial whose worker died is FAILED as lost: it does not count towards ``n_trials`` (its slot goes
back to the budget, as ``hypernas resume`` counts only trials that are not lost), and with
``requeue_lost`` it is queued to run again, in the slot it gave back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from hypernas.errors import ConfigError
from hypernas.record import FrozenTrial
from hypernas.registry import Configurable, Registry
from hypernas.study.contracts import Callback, Objective, RunningStudy, StudyOpener


@dataclass(frozen=True)
class Job:
    """What one ``Study.optimize`` call asks of an executor.

    Run trials of ``objective`` in ``n_workers`` workers until ``n_trials`` more have finished between
    them, not counting lost ones, or ``timeout`` seconds pass (None: no limit), or a worker finds the
    search exhausted. Exceptions of the types in ``catch`` fail a trial and the run goes on. A trial
    lost with its worker is queued to run again when ``requeue_lost`` is set.
    """

    handle: StudyOpener
    objective: Objective
    catch: tuple[type[BaseException], ...]
    n_trials: int | None
    timeout: float | None
    n_workers: int
    requeue_lost: bool = False


class Executor(Configurable, ABC):
    """Runs a :class:`Job`'s trials; registered by name in :data:`EXECUTORS` (``optimize(executor=name)``).

    An implementation must: give each worker trial slots from one budget shared by all of them
    (:class:`hypernas.study.contracts.Budget`); call ``callbacks(study, trial)`` in the caller's
    process once for each trial finished during the run (:class:`FinishedTrials` finds them in the
    record for workers that run elsewhere); and return once every worker has stopped. If a worker
    raises, stop the others and raise that error. If a worker dies without a word (a process killed
    or crashed), fail its running trial as lost at once, with how it ended
    (``study.fail_lost_trials(requeue=job.requeue_lost, reasons=...)``), give its slot back and let
    another worker take its place, so that the run still ends with its budget; raise
    :class:`~hypernas.errors.WorkerCrashedError`, naming the workers and how they ended, only when
    workers keep dying (a crash that was made up for is a logged warning). A worker in another
    process runs :func:`~hypernas.study.loop.worker_loop` inside
    :func:`~hypernas.study.loop.keep_alive`, so its running trials keep a heartbeat (without one, a
    trial of a worker on another machine counts as lost after 300 s).
    """

    def check(self, study: RunningStudy, job: Job) -> None:
        """Refuse a job this executor cannot run with a :class:`~hypernas.errors.ConfigError`; called before
        the run changes anything (the study's record, a progress display). Every job is fine by default."""

    @abstractmethod
    def run(self, study: RunningStudy, job: Job, callbacks: Sequence[Callback]) -> None:
        """Run ``job`` for ``study`` until its budget is spent (after :meth:`check` accepted it)."""


EXECUTORS: Registry[type[Executor]] = Registry("executor", ConfigError)


class FinishedTrials:
    """Follows a study's record for trials that finish during a run (workers in other processes report nothing)."""

    def __init__(self, study: RunningStudy) -> None:
        self.study = study
        self.trials: list[FrozenTrial] = []  # those finished during the run, in the order they were found
        self._seen = {t.trial_id for t in study.get_trials() if t.state.is_finished}

    def report(self, callbacks: Sequence[Callback]) -> None:
        """Call ``callbacks`` for each trial finished since the last call."""
        for trial in self.study.get_trials():
            if trial.state.is_finished and trial.trial_id not in self._seen:
                self._seen.add(trial.trial_id)
                self.trials.append(trial)
                for callback in callbacks:
                    callback(self.study, trial)
