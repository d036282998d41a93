"""Helpers shared by the pruners: reading a trial's learning curve and the rungs of successive halving."""

from __future__ import annotations

from hypernas.record import Direction, FrozenTrial


def best_upto(trial: FrozenTrial, step: int, direction: Direction) -> float | None:
    """The trial's best intermediate value at steps <= ``step``; None if it reported none there."""
    values = [v for s, v in trial.intermediate.items() if s <= step]
    if not values:
        return None
    return min(values) if direction is Direction.MINIMIZE else max(values)


def value_at(trial: FrozenTrial, step: int) -> float | None:
    """The trial's value at its first report at or past ``step`` (its result at a rung); None if none there."""
    later = [s for s in trial.intermediate if s >= step]
    return trial.intermediate[min(later)] if later else None


def reached(trial: FrozenTrial, step: int) -> bool:
    """Whether the trial has reported a value at ``step`` or later."""
    return bool(trial.intermediate) and max(trial.intermediate) >= step


def crossed(trial: FrozenTrial, step: int) -> bool:
    """Whether the trial's latest report is the first one at or past ``step`` (a rung is reached now)."""
    steps = sorted(trial.intermediate)
    if not steps or steps[-1] < step:
        return False
    return len(steps) == 1 or steps[-2] < step


def n_better(value: float, others: list[float], direction: Direction) -> int:
    """How many of ``others`` are strictly better than ``value``."""
    return sum(1 for o in others if direction.better(o, value))


def rung_steps(min_resource: int, eta: int, max_resource: int | None, start: int = 0) -> list[int]:
    """The steps of the rungs ``min_resource * eta**k`` for k >= ``start``, below ``max_resource``.

    Without ``max_resource`` the rungs go on; 60 of them are far beyond any training run.
    """
    steps: list[int] = []
    k = start
    while len(steps) < 60:
        r = min_resource * eta ** k
        if max_resource is not None and r >= max_resource:
            break
        steps.append(r)
        k += 1
    return steps
