"""Argument checks the shared :mod:`hypernas.validate` does not have yet, in its message format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypernas.errors import ConfigError, SpaceError
from hypernas.validate import is_integer


def check_int_list(owner: str, name: str, values: Any, low: int | None = None, *,
                   error: type[ConfigError] = SpaceError) -> list[int]:
    """``values`` as a list of ints, each ``>= low``: a non-empty sequence (not a string)."""
    ok = not isinstance(values, (str, bytes)) and isinstance(values, Sequence) and len(values) > 0 and all(
        is_integer(v) and (low is None or v >= low) for v in values)
    if not ok:
        bound = "" if low is None else f" >= {low}"
        raise error(f"{owner}: {name} must be a non-empty list of integers{bound}, got {values!r}")
    return [int(v) for v in values]
