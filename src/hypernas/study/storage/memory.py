"""In-memory storage: fast, for one process; lost when the process ends."""

from __future__ import annotations

import contextlib
import copy
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from hypernas.errors import DuplicateStudyError, StorageError, StudyNotFoundError, TrialStateError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.storage.base import RunningTrial, Storage, StudyInfo, utcnow


class InMemoryStorage(Storage):
    """Keeps studies in Python dicts behind a lock; safe for threads of one process."""

    url = "memory"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, StudyInfo] = {}
        self._names: dict[str, int] = {}
        self._trials: dict[int, FrozenTrial] = {}
        self._study_trials: dict[int, list[int]] = {}
        self._trial_study: dict[int, int] = {}
        self._waiting: dict[int, deque[int]] = {}
        self._workers: dict[int, tuple[dict[str, Any] | None, Any]] = {}
        self._ask_locks: dict[int, threading.Lock] = {}
        self._artifacts: dict[tuple[int, str], bytes] = {}

    # --- studies ---------------------------------------------------------------------------
    def create_study(self, name: str, directions: Sequence[str], metric_names: Sequence[str] | None = None,
                     system_attrs: dict[str, Any] | None = None) -> int:
        with self._lock:
            if name in self._names:
                raise DuplicateStudyError(f"a study named {name!r} already exists; load it, or choose another name")
            study_id = len(self._studies) + 1
            while study_id in self._studies:
                study_id += 1
            self._studies[study_id] = StudyInfo(study_id, name, list(directions),
                                                list(metric_names) if metric_names else None,
                                                {}, copy.deepcopy(system_attrs or {}), utcnow())
            self._names[name] = study_id
            self._study_trials[study_id] = []
            self._waiting[study_id] = deque()
            self._ask_locks[study_id] = threading.Lock()
            return study_id

    def get_study(self, name: str) -> StudyInfo:
        with self._lock:
            if name not in self._names:
                known = ", ".join(self._names) or "none"
                raise StudyNotFoundError(f"no study named {name!r} in memory; known studies: {known}")
            return self._studies[self._names[name]]

    def get_study_by_id(self, study_id: int) -> StudyInfo:
        with self._lock:
            return self._studies[study_id]

    def study_names(self) -> list[str]:
        with self._lock:
            return list(self._names)

    def delete_study(self, name: str) -> None:
        with self._lock:
            study_id = self.get_study(name).study_id
            del self._waiting[study_id]
            for tid in self._study_trials.pop(study_id):
                self._trials.pop(tid, None)
                self._trial_study.pop(tid, None)
                self._workers.pop(tid, None)
                for key in [k for k in self._artifacts if k[0] == tid]:
                    del self._artifacts[key]
            del self._studies[study_id]
            del self._names[name]

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        with self._lock:
            info = self._studies[study_id]
            target = info.system_attrs if system else info.user_attrs
            target[key] = copy.deepcopy(value)

    def set_metric_names(self, study_id: int, names: Sequence[str]) -> None:
        with self._lock:
            info = self._studies[study_id]
            self._studies[study_id] = StudyInfo(info.study_id, info.name, info.directions, list(names),
                                                info.user_attrs, info.system_attrs, info.datetime_created)

    # --- trials ----------------------------------------------------------------------------
    def create_trial(self, study_id: int, state: TrialState, params: dict[str, Any] | None = None,
                     system_attrs: dict[str, Any] | None = None, worker: dict[str, Any] | None = None) -> FrozenTrial:
        with self._lock:
            trial_id = len(self._trials) + 1
            while trial_id in self._trials:
                trial_id += 1
            number = len(self._study_trials[study_id])
            trial = FrozenTrial(number, trial_id, state, copy.deepcopy(params or {}),
                                system_attrs=copy.deepcopy(system_attrs or {}),
                                datetime_start=utcnow() if state is TrialState.RUNNING else None)
            self._trials[trial_id] = trial
            self._study_trials[study_id].append(trial_id)
            self._trial_study[trial_id] = study_id
            self._workers[trial_id] = (worker, utcnow())
            if state is TrialState.WAITING:
                self._waiting[study_id].append(trial_id)
            return trial

    def add_finished_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        if not trial.state.is_finished:
            raise TrialStateError(f"only a finished trial can be added as it is, got one that is {trial.state.value}")
        with self._lock:
            trial_id = len(self._trials) + 1
            while trial_id in self._trials:
                trial_id += 1
            added = copy.deepcopy(trial).replace(number=len(self._study_trials[study_id]), trial_id=trial_id)
            self._trials[trial_id] = added
            self._study_trials[study_id].append(trial_id)
            self._trial_study[trial_id] = study_id
            self._workers[trial_id] = (None, None)
            return added.copy()

    def next_trial_number(self, study_id: int) -> int:
        with self._lock:
            return len(self._study_trials[study_id])

    def claim_waiting_trial(self, study_id: int, worker: dict[str, Any] | None = None) -> FrozenTrial | None:
        with self._lock:
            waiting = self._waiting[study_id]
            if not waiting:
                return None
            tid = waiting.popleft()  # trials are numbered in creation order: the oldest comes first
            t = self._trials[tid].replace(state=TrialState.RUNNING, datetime_start=utcnow())
            self._trials[tid] = t
            self._workers[tid] = (worker, utcnow())
            return t

    def _mutable(self, trial_id: int) -> FrozenTrial:
        t = self._trials[trial_id]
        if t.state.is_finished:
            raise TrialStateError(f"trial {t.number} is already {t.state.value}; a finished trial cannot change")
        return t

    def set_trial_params(self, trial_id: int, params: dict[str, Any]) -> None:
        with self._lock:
            self._trials[trial_id] = self._mutable(trial_id).replace(params=copy.deepcopy(params))

    def set_intermediate(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            t = self._mutable(trial_id)
            self._trials[trial_id] = t.replace(intermediate={**t.intermediate, int(step): float(value)})

    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        with self._lock:
            t = self._mutable(trial_id)
            field_name = "system_attrs" if system else "user_attrs"
            attrs = {**getattr(t, field_name), key: copy.deepcopy(value)}
            self._trials[trial_id] = t.replace(**{field_name: attrs})

    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None,
                     error: str | None = None) -> FrozenTrial:
        with self._lock:
            t = self._trials[trial_id]
            if t.state is not TrialState.RUNNING:
                raise TrialStateError(f"trial {t.number} is {t.state.value}; only a RUNNING trial can be finished")
            t = t.replace(state=state, values=list(values) if values is not None else None, error=error,
                          datetime_complete=utcnow())
            self._trials[trial_id] = t
            return t

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._trials[trial_id].copy()

    def get_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        with self._lock:
            trials = [self._trials[tid] for tid in self._study_trials[study_id]]
        return [t.copy() for t in trials if states is None or t.state in states]

    def running_trials(self, study_id: int) -> list[RunningTrial]:
        with self._lock:
            return [RunningTrial(self._trials[tid], *self._workers[tid]) for tid in self._study_trials[study_id]
                    if self._trials[tid].state is TrialState.RUNNING]

    def heartbeat(self, trial_ids: Sequence[int]) -> None:
        with self._lock:
            for tid in trial_ids:
                self._workers[tid] = (self._workers[tid][0], utcnow())

    def put_artifact(self, trial_id: int, name: str, data: bytes) -> None:
        with self._lock:
            if trial_id not in self._trials:
                raise StorageError(f"no trial with id {trial_id} in memory")
            self._artifacts[(trial_id, name)] = bytes(data)

    def get_artifact(self, trial_id: int, name: str) -> bytes | None:
        with self._lock:
            return self._artifacts.get((trial_id, name))

    def delete_artifact(self, trial_id: int, name: str) -> None:
        with self._lock:
            self._artifacts.pop((trial_id, name), None)

    def artifact_trials(self, study_id: int, name: str) -> list[int]:
        with self._lock:
            return [tid for tid in self._study_trials[study_id] if (tid, name) in self._artifacts]

    @contextlib.contextmanager
    def ask_lock(self, study_id: int) -> Iterator[None]:
        with self._ask_locks[study_id]:
            yield
