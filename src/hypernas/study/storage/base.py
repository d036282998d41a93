"""The storage interface: the only thing that reads or writes the study record.

Every state change is one call and one transaction. Implementations: in-memory (one process)
and SQL through SQLAlchemy (SQLite by default, any SQLAlchemy URL for shared use).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from hypernas.record import FrozenTrial, TrialState


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC (portable across SQL backends)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class StudyInfo:
    """What a study is, apart from its trials."""

    study_id: int
    name: str
    directions: list[str]
    metric_names: list[str] | None = None
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_created: datetime | None = None


@dataclass(frozen=True)
class StudySummary:
    """One line of ``hypernas studies``."""

    name: str
    directions: list[str]
    n_trials: int
    state_counts: dict[str, int]
    best_values: list[float] | None
    datetime_created: datetime | None


@dataclass(frozen=True)
class RunningTrial:
    """A RUNNING trial with the worker that claimed it, for finding trials of dead processes."""

    trial: FrozenTrial
    worker: dict[str, Any] | None
    heartbeat: datetime | None


class Storage(ABC):
    """Reads and writes studies and trials. Every method that changes state is one transaction."""

    url: str = "memory"
    shared: ClassVar[bool] = False
    """Whether the record is a database that other processes open by ``url`` (the process executor's
    workers, several machines), so the loop keeps its trials alive with heartbeats."""

    @property
    def key(self) -> str:
        """Identifies this record within the process (trial ids are unique only per record)."""
        return f"{type(self).__name__}:{id(self)}"

    # --- studies ---------------------------------------------------------------------------
    @abstractmethod
    def create_study(self, name: str, directions: Sequence[str], metric_names: Sequence[str] | None = None,
                     system_attrs: dict[str, Any] | None = None) -> int:
        """Create a study and return its id; raise DuplicateStudyError if the name is taken."""

    @abstractmethod
    def get_study(self, name: str) -> StudyInfo:
        """The study named ``name``; raise StudyNotFoundError (listing known names) if absent."""

    @abstractmethod
    def get_study_by_id(self, study_id: int) -> StudyInfo:
        """The study with id ``study_id``."""

    @abstractmethod
    def study_names(self) -> list[str]:
        """Names of all studies, oldest first."""

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Remove a study and all its trials, with their artifacts."""

    @abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        """Set a user (or, with ``system=True``, internal) attribute of the study."""

    @abstractmethod
    def set_metric_names(self, study_id: int, names: Sequence[str]) -> None:
        """Record the names of the objective values."""

    # --- trials ----------------------------------------------------------------------------
    @abstractmethod
    def create_trial(self, study_id: int, state: TrialState, params: dict[str, Any] | None = None,
                     system_attrs: dict[str, Any] | None = None, worker: dict[str, Any] | None = None) -> FrozenTrial:
        """Insert a WAITING or RUNNING trial with the next free number."""

    @abstractmethod
    def add_finished_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        """Insert a finished trial copied from another record as it is (params, values, intermediate values,
        attributes, times, error) with the next free number, in one transaction; its own number and id are ignored."""

    @abstractmethod
    def next_trial_number(self, study_id: int) -> int:
        """The number :meth:`create_trial` would give the next trial of the study (hold ``ask_lock`` to keep it)."""

    @abstractmethod
    def claim_waiting_trial(self, study_id: int, worker: dict[str, Any] | None = None) -> FrozenTrial | None:
        """Atomically turn the oldest WAITING trial into RUNNING for this worker; ``None`` if there is none."""

    @abstractmethod
    def set_trial_params(self, trial_id: int, params: dict[str, Any]) -> None:
        """Record the parameters of a RUNNING trial."""

    @abstractmethod
    def set_intermediate(self, trial_id: int, step: int, value: float) -> None:
        """Record (or overwrite) the intermediate value of a RUNNING trial at ``step``."""

    @abstractmethod
    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        """Set a user (or internal) attribute of a trial that is not finished."""

    @abstractmethod
    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None,
                     error: str | None = None) -> FrozenTrial:
        """Move a RUNNING trial to COMPLETE, PRUNED or FAILED; raise TrialStateError if it is not RUNNING."""

    @abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """One trial by id."""

    @abstractmethod
    def get_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        """All trials of a study (optionally only some states), ordered by number."""

    @abstractmethod
    def running_trials(self, study_id: int) -> list[RunningTrial]:
        """The RUNNING trials with their workers and last heartbeat."""

    @abstractmethod
    def heartbeat(self, trial_ids: Sequence[int]) -> None:
        """Mark these RUNNING trials as still alive now."""

    # --- artifacts --------------------------------------------------------------------------
    @abstractmethod
    def put_artifact(self, trial_id: int, name: str, data: bytes) -> None:
        """Keep ``data`` (e.g. a trial's trained weights) under ``name`` with the trial, replacing an earlier one."""

    @abstractmethod
    def get_artifact(self, trial_id: int, name: str) -> bytes | None:
        """The bytes kept under ``name`` with the trial, or ``None``."""

    @abstractmethod
    def delete_artifact(self, trial_id: int, name: str) -> None:
        """Remove what is kept under ``name`` with the trial (nothing if there is none)."""

    @abstractmethod
    def artifact_trials(self, study_id: int, name: str) -> list[int]:
        """The ids of the study's trials that keep an artifact under ``name``, in id order."""

    @contextlib.contextmanager
    def ask_lock(self, study_id: int) -> Iterator[None]:
        """Hold while a strategy proposes, so that concurrent workers see each other's proposals."""
        yield

    def summaries(self) -> list[StudySummary]:
        """One :class:`StudySummary` per study (used by ``hypernas studies``)."""
        out = []
        for name in self.study_names():
            info = self.get_study(name)
            trials = self.get_trials(info.study_id)
            counts: dict[str, int] = {}
            for t in trials:
                counts[t.state.value] = counts.get(t.state.value, 0) + 1
            best = None
            complete = [t for t in trials if t.state is TrialState.COMPLETE and t.values]
            if complete and len(info.directions) == 1:
                pick = min if info.directions[0] == "minimize" else max
                best = pick(complete, key=lambda t: t.values[0]).values  # type: ignore[index]
            out.append(StudySummary(name, info.directions, len(trials), counts, best, info.datetime_created))
        return out

    def close(self) -> None:
        """Release connections."""
