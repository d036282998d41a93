"""The vocabulary of the study record: trial states, directions and the frozen trial.

Like :mod:`hypernas.errors`, this module sits below every folder: strategies and pruners read
trials through these types without importing the study machinery.
"""

from __future__ import annotations

import enum
import json
import math
import numbers
import reprlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hypernas.errors import ConfigError

DECISIONS_ATTR = "decisions"
"""The trial system attribute holding what the strategy decided for the trial beyond its parameters."""
ARCH_WEIGHTS_ATTR = "arch_weights"
"""The trial system attribute holding a one-shot search's architecture weights after each epoch:
``{"ops": [...], "edges": [...], "epochs": [{cell type: weights[edge][op], ...}, ...]}``."""


class TrialState(str, enum.Enum):
    """Where a trial is in its life. WAITING: enqueued, not started. RUNNING: being evaluated."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAILED = "FAILED"

    @property
    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)

    def __str__(self) -> str:
        return self.value


class Direction(str, enum.Enum):
    """Whether an objective is minimized or maximized."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def parse(cls, value: Any) -> Direction:
        if isinstance(value, Direction):
            return value
        text = str(value).lower()
        aliases = {"min": "minimize", "max": "maximize"}
        try:
            return cls(aliases.get(text, text))
        except ValueError:
            raise ConfigError(f"direction {value!r} is not known; allowed: 'minimize' or 'maximize'") from None

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a < b if self is Direction.MINIMIZE else a > b

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FrozenTrial:
    """An immutable snapshot of one trial as the storage holds it."""

    number: int
    trial_id: int
    state: TrialState
    params: dict[str, Any] = field(default_factory=dict)
    values: list[float] | None = None
    intermediate: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None
    error: str | None = None

    @property
    def value(self) -> float | None:
        """The single objective value (``None`` unless COMPLETE); use :attr:`values` for several."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise ConfigError(f"trial {self.number} has {len(self.values)} objective values; use .values")
        return self.values[0]

    @property
    def duration(self) -> float | None:
        """Seconds from start to completion, when both are known."""
        if self.datetime_start and self.datetime_complete:
            return (self.datetime_complete - self.datetime_start).total_seconds()
        return None

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate) if self.intermediate else None

    def replace(self, **changes: Any) -> FrozenTrial:
        return replace(self, **changes)

    def copy(self) -> FrozenTrial:
        """A snapshot whose dicts and lists are the caller's own (storages hand out copies)."""
        return FrozenTrial(self.number, self.trial_id, self.state, dict(self.params),
                           None if self.values is None else list(self.values), dict(self.intermediate),
                           dict(self.user_attrs), dict(self.system_attrs), self.datetime_start,
                           self.datetime_complete, self.error)


def dominates(a: list[float], b: list[float], directions: list[Direction]) -> bool:
    """Pareto dominance: ``a`` is no worse than ``b`` everywhere and better somewhere."""
    better = False
    for x, y, d in zip(a, b, directions):
        if d.better(y, x):
            return False
        if d.better(x, y):
            better = True
    return better


def pareto_front(trials: list[FrozenTrial], directions: list[Direction]) -> list[FrozenTrial]:
    """The COMPLETE trials that no other COMPLETE trial dominates, in trial-number order."""
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None]
    return [t for t in done if not any(dominates(o.values, t.values, directions) for o in done if o is not t)]  # type: ignore[arg-type]


def as_finite_float(x: Any) -> float | None:
    """``x`` as a float if it is a finite real number (Python, NumPy or 0-d tensor), else ``None``."""
    if isinstance(x, (bool, str, bytes)) or x is None:
        return None
    dtype = getattr(x, "dtype", None)  # NumPy or torch scalars: booleans and complex numbers are no results
    if dtype is not None and (getattr(dtype, "kind", None) in ("b", "c") or getattr(dtype, "is_complex", False)
                              or str(dtype) == "torch.bool"):
        return None
    if not isinstance(x, numbers.Real):
        if getattr(x, "ndim", None) != 0 and getattr(x, "shape", None) not in ((), None):
            return None
        if not hasattr(x, "__float__"):
            return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def as_json_value(x: Any, what: str, *, non_finite_as_none: bool = False) -> Any:
    """``x`` as strict JSON data, the form every storage gives back (NumPy/torch values become numbers and lists).

    NaN and infinity are not JSON (PostgreSQL's JSON type refuses them): they raise
    :class:`ConfigError` naming ``what``, or with ``non_finite_as_none`` become ``None``. Anything else
    that cannot be stored raises :class:`ConfigError` too.
    """
    def plain(o: Any) -> Any:
        if hasattr(o, "tolist"):  # NumPy scalars and arrays, torch tensors
            return o.tolist()
        raise TypeError

    try:
        return json.loads(json.dumps(x, default=plain, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        pass
    try:  # only NaN or infinity? (the first dump refuses them with the same ValueError as a circular reference)
        loose = json.loads(json.dumps(x, default=plain))
    except (TypeError, ValueError, RecursionError):
        raise ConfigError(f"{what} must be JSON data (numbers, strings, lists, dicts, None), got {reprlib.repr(x)}") from None
    if non_finite_as_none:
        return _none_for_non_finite(loose)
    raise ConfigError(f"{what} must be JSON data; NaN and infinity are not allowed, got {reprlib.repr(x)}")


def _none_for_non_finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_none_for_non_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _none_for_non_finite(v) for k, v in value.items()}
    return value
