"""One set of argument checks for every constructor: each returns the value or raises a clear error.

Every check takes ``owner`` (what is being configured, e.g. ``"pruner 'median'"`` or ``"tpe"``),
the option's ``name`` and its ``value``, and raises ``error`` (:class:`~hypernas.errors.ConfigError`
by default; any :class:`~hypernas.errors.HypernasError` subclass) with the message ``"<owner>: <name> must be <what is allowed>, got <value>"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from hypernas.errors import ConfigError, HypernasError

T = TypeVar("T")


def is_number(x: Any) -> bool:
    """A real number (Python or NumPy), booleans excluded."""
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def is_integer(x: Any) -> bool:
    """An integer (Python or NumPy), booleans excluded."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _bound(x: float) -> str:
    """A bound as text: integers in full (``9223372036854775807``), other numbers in short form."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def range_text(low: float, high: float, low_open: bool = False, high_open: bool = False) -> str:
    """`` in [low, high]``, `` >= low``, `` < high``... (ends open as asked; empty when both are infinite)."""
    if math.isinf(low) and math.isinf(high):
        return ""
    if math.isinf(high):
        return f" {'>' if low_open else '>='} {_bound(low)}"
    if math.isinf(low):
        return f" {'<' if high_open else '<='} {_bound(high)}"
    return f" in {'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"


def _fail(owner: str, name: str, allowed: str, value: Any, error: type[HypernasError]) -> HypernasError:
    return error(f"{owner}: {name} must be {allowed}, got {value!r}")


def check_int(owner: str, name: str, value: Any, low: int | None = None, high: int | None = None, *,
              optional: bool = False, error: type[HypernasError] = ConfigError) -> Any:
    """``value`` as an ``int`` in ``[low, high]`` (either bound may be None); None passes when ``optional``."""
    if value is None and optional:
        return None
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    if not is_integer(value) or not lo <= value <= hi:
        allowed = "an integer" + range_text(lo, hi, False, False) + (" or None" if optional else "")
        raise _fail(owner, name, allowed, value, error)
    return int(value)


MAX_SEED = 2**63 - 1
"""The largest seed: NumPy and PyTorch generators and the record's integers all take it."""


def check_seed(owner: str, value: Any, *, optional: bool = True, error: type[HypernasError] = ConfigError) -> Any:
    """A seed: an integer in ``[0, 2**63 - 1]`` (None passes when ``optional``)."""
    return check_int(owner, "seed", value, 0, MAX_SEED, optional=optional, error=error)


def check_number(owner: str, name: str, value: Any, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False, optional: bool = False,
                 error: type[HypernasError] = ConfigError) -> Any:
    """``value`` as a finite ``float`` between ``low`` and ``high`` (open ends as asked); None passes when ``optional``."""
    if value is None and optional:
        return None
    ok = is_number(value) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        allowed = "a number" + range_text(low, high, low_open, high_open) + (" or None" if optional else "")
        raise _fail(owner, name, allowed, value, error)
    return float(value)


def check_int_list(owner: str, name: str, values: Any, low: int | None = None, *,
                   error: type[HypernasError] = ConfigError) -> list[int]:
    """``values`` as a list of ints, each ``>= low``: a non-empty sequence (not a string)."""
    ok = not isinstance(values, (str, bytes)) and isinstance(values, Sequence) and len(values) > 0 and all(
        is_integer(v) and (low is None or v >= low) for v in values)
    if not ok:
        bound = "" if low is None else range_text(low, math.inf, False, False)
        raise _fail(owner, name, f"a non-empty list of integers{bound}", values, error)
    return [int(v) for v in values]


def check_choice(owner: str, name: str, value: Any, allowed: Sequence[T], *,
                 error: type[HypernasError] = ConfigError) -> T:
    """``value`` if it is one of ``allowed`` (``True`` is not ``1`` here, nor ``False`` ``0``)."""
    is_bool = isinstance(value, (bool, np.bool_))
    if value not in allowed or (is_bool and not any(isinstance(a, (bool, np.bool_)) and a == value for a in allowed)):
        raise _fail(owner, name, f"one of {', '.join(repr(a) for a in allowed)}", value, error)
    return value


def check_bool(owner: str, name: str, value: Any, *, error: type[HypernasError] = ConfigError) -> bool:
    """``value`` if it is ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(owner, name, "true or false", value, error)
    return bool(value)
