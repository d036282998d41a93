"""Workers outside the calling process, by position: the trial slots they share, and what happens when one dies.

The process and Ray executors run :func:`~hypernas.study.loop.worker_loop` in workers that report
nothing to the caller but through the study's record. Each worker holds a position of the run;
:class:`SharedBudget` hands out the trial slots and notes, for each position, what its worker does
with its slot, so that the slot of a worker that died can be given back. :class:`WorkerPool` drives
a run: it starts a worker at each position, reports the trials that finish, and settles each worker
that ends; one that died without a word has its running trial failed as lost (queued again with
``requeue_lost``), its slot given back and another worker started in its place, until ``2 *
n_workers`` die in a row with no trial finished between them.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from hypernas.errors import ConfigError, WorkerCrashedError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.contracts import Callback, Objective, RunningStudy, StopFlag
from hypernas.study.executors.base import FinishedTrials, Job
from hypernas.study.trial import Trial
from hypernas.study.workers import HOSTNAME

logger = logging.getLogger("hypernas")

# what a worker position is doing with its slot of the budget
STARTING, IDLE, CLAIMED, RUNNING = 0, 1, 2, 3


class SharedBudget:
    """Trial slots shared by workers in several processes: a counter, a stop flag, a wall-clock deadline,
    and, for each worker position, what its worker is doing with its slot (so that a dead one's slot can be
    given back). ``ctx`` makes the shared values (a ``multiprocessing`` context; by default this process's,
    for a budget that one process keeps for all, as a Ray actor does)."""

    def __init__(self, n_trials: int | None, deadline: float | None, n_workers: int, ctx: Any = None) -> None:
        ctx = ctx or multiprocessing.get_context()
        self.n_trials = n_trials
        self.deadline = deadline
        self.taken = ctx.Value("i", 0)
        self.stop = ctx.Event()
        self.doing = ctx.Array("b", n_workers, lock=False)  # STARTING .. RUNNING, by worker position
        self.trial_ids = ctx.Array("q", n_workers, lock=False)  # the trial each position's worker evaluates

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

    def started(self, worker: int) -> None:
        """The worker at position ``worker`` has started (it holds no slot yet)."""
        self.doing[worker] = IDLE

    def end(self) -> None:
        """Grant no more slots."""
        self.stop.set()

    def holding(self, worker: int) -> tuple[bool, int | None]:
        """Whether position ``worker`` holds a slot, and the trial that slot became (None: none yet)."""
        doing = self.doing[worker]
        return doing in (CLAIMED, RUNNING), self.trial_ids[worker] if doing == RUNNING else None

    def release(self, worker: int, spent: bool) -> None:
        """After the worker at position ``worker`` died: the slot it held goes back to the budget unless it
        was ``spent`` (on a trial that counts); the position starts afresh."""
        held = self.doing[worker] in (CLAIMED, RUNNING)
        self.doing[worker] = STARTING
        if held and not spent:
            with self.taken.get_lock():
                self.taken.value -= 1


class Ledger(Protocol):
    """What workers and the run's driver use of a :class:`SharedBudget`, kept here or by another process."""

    @property
    def stop(self) -> StopFlag: ...

    def remaining(self) -> bool: ...

    def claim(self, worker: int) -> bool: ...

    def evaluating(self, worker: int, trial_id: int) -> None: ...

    def holding(self, worker: int) -> tuple[bool, int | None]: ...

    def release(self, worker: int, spent: bool) -> None: ...


class PositionBudget:
    """One worker's view of the shared budget: the :class:`~hypernas.study.contracts.Budget` it runs on."""

    def __init__(self, budget: Ledger, worker: int) -> None:
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


def is_lost(trial: FrozenTrial) -> bool:
    """Whether ``trial`` was lost with its worker (it does not count towards the budget)."""
    return bool(trial.system_attrs.get("lost"))


def check_shared(study: RunningStudy, executor: str) -> None:
    """Refuse a study that workers in other processes cannot reach."""
    if not study.storage.shared or ":memory:" in study.storage.url:
        raise ConfigError(f"executor={executor!r} needs a study in a SQL database file or server (e.g. storage='runs.db'); "
                          "an in-memory study cannot be shared between processes")


def serialized(job: Job, dumps: Callable[[Any], bytes], executor: str, needs: str) -> bytes:
    """What each worker needs of ``job`` (objective, study handle, catch), serialized once with ``dumps``; if
    that fails, the part that cannot be is named, with what ``executor`` ``needs`` (e.g. "such as a function")."""
    unpicklable = (pickle.PicklingError, AttributeError, TypeError)
    try:
        return dumps((job.objective, job.handle, job.catch))
    except unpicklable as whole:
        culprit, reason = "job", whole
    for what, part in {"objective": job.objective, "strategy and pruner of the study": job.handle,
                       "catch": job.catch}.items():
        try:
            dumps(part)
        except unpicklable as exc:
            culprit, reason = what, exc
            break
    article = "an" if culprit[0] in "aeiou" else "a"
    raise ConfigError(f"executor={executor!r} needs {article} {culprit} that can be pickled, {needs} ({reason}); "
                      "use executor='thread' otherwise")


class WorkerPool(ABC):
    """The workers of one run, by position: started, settled when one ends, replaced after a crash.

    A subclass says how a worker starts (:meth:`start`), how the caller learns that workers ended
    (:meth:`ended`), what it makes of one that ended (:meth:`settle`: an error it reported, or a crash
    for :meth:`crashed`), how to stop them all (:meth:`stop_all`), and what to raise at the end.
    """

    worker = "worker process"  # what messages call one worker
    GRACE = 30.0  # seconds the workers have to finish their trials when the run stops early (not on Ctrl-C)

    def __init__(self, study: RunningStudy, job: Job, budget: Ledger) -> None:
        self.study = study
        self.job = job
        self.budget = budget
        self.failures: list[str] = []  # the workers that ended badly, and how
        self.crashes_in_a_row = 0
        self.gave_up = False
        self._progress = 0  # trials that count, finished when the last crash was seen

    @property
    @abstractmethod
    def running(self) -> Collection[int]:
        """The positions whose worker has not been settled yet."""

    @abstractmethod
    def start(self, position: int) -> None:
        """Start a worker at ``position``."""

    @abstractmethod
    def ended(self, timeout: float) -> list[int]:
        """Positions whose worker has ended, after waiting up to ``timeout`` seconds for one to end."""

    @abstractmethod
    def settle(self, position: int, progress: int) -> None:
        """Account for the ended worker at ``position`` (``progress``: the trials that count, finished so far)."""

    @abstractmethod
    def stop_all(self, interrupted: bool) -> None:
        """End the workers still running, after the run was ``interrupted`` (Ctrl-C) or a callback raised."""

    @abstractmethod
    def raise_for_failures(self, finished: Sequence[FrozenTrial]) -> None:
        """Raise what ended the run badly, if anything did; crashes that were made up for are only logged."""

    def drive(self, callbacks: Sequence[Callback]) -> None:
        """Run the job: a worker at each position, ``callbacks`` for each trial finished, each worker that ends
        settled, until none is left; then raise what ended the run badly, if anything did."""
        finished = FinishedTrials(self.study)
        try:
            for position in range(self.job.n_workers):
                self.start(position)
            while self.running:
                for position in self.ended(timeout=0.2):
                    finished.report(callbacks)  # so that a trial finished before a crash counts as progress
                    self.settle(position, sum(not is_lost(t) for t in finished.trials))
                finished.report(callbacks)
        except BaseException as exc:  # Ctrl-C, or a callback that raised: the workers stop
            self.budget.stop.set()
            self.stop_all(interrupted=isinstance(exc, KeyboardInterrupt))
            raise
        finished.report(callbacks)
        self.raise_for_failures(finished.trials)

    def name(self, position: int, host: str | None, pid: int | None) -> str:
        where = "pid unknown" if pid is None else f"pid {pid}" + ("" if host in (None, HOSTNAME) else f" on {host}")
        return f"{self.worker} {position + 1} of {self.job.n_workers} ({where})"

    def trials_of(self, host: str, pid: int) -> list[FrozenTrial]:
        """The RUNNING trials of the worker process ``pid`` on ``host``."""
        return [r.trial for r in self.study.storage.running_trials(self.study.study_id)
                if (r.worker or {}).get("pid") == pid and (r.worker or {}).get("host") == host]

    def crashed(self, position: int, host: str | None, pid: int | None, how: str, progress: int) -> None:
        """The worker at ``position`` (process ``pid`` on ``host``, if known) died without a word, as ``how`` says:
        fail its trial as lost (queued again with ``requeue_lost``), give its slot back and start another worker
        in its place while the budget lasts; give up after too many crashes in a row."""
        name = self.name(position, host, pid)
        self.failures.append(f"{name} {how}")
        mine = [] if host is None or pid is None else self.trials_of(host, pid)
        reason = f"its {self.worker} {pid} on {host} {how}"
        self.study.fail_lost_trials(requeue=self.job.requeue_lost, reasons={t.trial_id: reason for t in mine})
        held, trial_id = self.budget.holding(position)
        spent = trial_id is not None and not is_lost(self.study.storage.get_trial(trial_id))
        self.budget.release(position, spent=held and spent)
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
            self.start(position)
            what += f"; a new {self.worker} takes its place"
        logger.warning("%s %s%s", name, how, what)

    def crash_error(self, finished: Sequence[FrozenTrial]) -> WorkerCrashedError:
        """The error that names the workers that ended badly (and, if it gave up, that it did), with the last
        error of a trial."""
        errors = [t.error for t in finished if t.state is TrialState.FAILED and t.error and not is_lost(t)]
        gave_up = f"; gave up after {self.crashes_in_a_row} {self.worker}es in a row died before a trial " \
                  "finished" if self.gave_up else ""
        return WorkerCrashedError("; ".join(self.failures) + gave_up
                                  + (f"; last trial error: {errors[-1]}" if errors else ""))
