"""Objectives for the trial_timeout tests: module-level, so worker processes can import them."""

from __future__ import annotations

import time
from typing import Any


def spin(seconds: float) -> None:
    """Busy Python work (not a sleep) for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def slow_odd(trial: Any) -> float:
    """Odd trials would run for a minute; even ones return at once."""
    if trial.number % 2:
        spin(60)
    return float(trial.params["x"])


def slow_and_stubborn(trial: Any) -> float:
    """Runs for a minute, catching every Exception on the way."""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            spin(0.01)
        except Exception:  # a stubborn objective, written the way users write it
            continue
    return 0.0
