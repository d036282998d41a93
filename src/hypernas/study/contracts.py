"""What the optimization loop and its executors are written against.

The objective and the callbacks a user passes, the trial budget the workers of one run share, and
the few things the loop needs from a study (:class:`RunningStudy`) and from a handle that reopens
it elsewhere (:class:`StudyOpener`). Nothing here imports :mod:`hypernas.study.study`: that module
imports the loop, so the loop only sees a study through these protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.study.storage import Storage
from hypernas.study.trial import Trial

Objective = Callable[[Trial], Any]
"""``objective(trial)`` returns a number, a sequence of numbers, or a dict of named metrics.

An objective may also have a method ``check_space(space)``: ``optimize`` calls it before any trial
runs, and it raises a :class:`~hypernas.errors.ConfigError` for a space it cannot evaluate (a parameter
it does not read, an architecture its builder cannot build), so that a configuration mistake stops the
run at once instead of failing every trial."""

StudyT = TypeVar("StudyT")

Callback = Callable[[StudyT, FrozenTrial], None]
"""``callback(study, trial)`` runs in the calling process after each trial finished during a run; with
the thread executor it runs in the worker thread that finished the trial, so it must be thread-safe."""


class StopFlag(Protocol):
    """A flag every worker of a run can see (``threading.Event``, ``multiprocessing.Event``)."""

    def set(self) -> None: ...

    def is_set(self) -> bool: ...


class Budget(Protocol):
    """The trial slots the workers of one run share: ``claim()`` grants one, or says the run is over.

    A worker sets ``stop`` when the whole search must end (the strategy is exhausted, an error).
    """

    @property
    def stop(self) -> StopFlag: ...

    def claim(self) -> bool: ...


class StudyOpener(Protocol):
    """A picklable way to reopen a study in another process or machine (see ``Study.handle()``)."""

    def open(self) -> RunningStudy: ...


class RunningStudy(Protocol):
    """What the loop, the progress display and the executors use of a study."""

    name: str
    study_id: int
    storage: Storage
    directions: list[Direction]

    @property
    def space(self) -> Space: ...

    @property
    def is_multi_objective(self) -> bool: ...

    @property
    def best_value(self) -> float: ...

    @property
    def best_trials(self) -> list[FrozenTrial]: ...

    def get_trials(self, states: tuple[TrialState, ...] | None = None) -> list[FrozenTrial]: ...

    def ask(self) -> Trial: ...

    def tell(self, trial: Trial | FrozenTrial | int, values: Any = None, *, state: TrialState | str | None = None,
             error: str | None = None) -> FrozenTrial: ...

    def fail_lost_trials(self, requeue: bool = False, stale_after: float = 300.0,
                         reasons: Mapping[int, str] | None = None) -> list[int]: ...

    def handle(self) -> StudyOpener: ...
