"""Patience: stop a trial that has not improved for a number of steps, alone or as a guard on another pruner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypernas.estimate.pruners._common import check_float, check_int
from hypernas.estimate.pruners.base import Pruner, PrunerStudyView, make_pruner, register_pruner
from hypernas.record import Direction, FrozenTrial


@register_pruner("patience")
class PatiencePruner(Pruner):
    """Prune a trial whose best value over its last ``patience`` reports does not beat its best before
    them by more than ``min_delta``.

    With ``wrapped`` (a pruner, a name or ``{type: ..., ...}``) the trial is pruned only when it has
    stalled *and* the wrapped pruner says so: a patient version of e.g. the median rule.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0,
                 wrapped: Pruner | str | Mapping[str, Any] | None = None) -> None:
        self.patience = check_int("patience", "patience", patience, 1)
        self.min_delta = check_float("patience", "min_delta", min_delta, 0.0)
        self.wrapped = None if wrapped is None else make_pruner(wrapped)

    def to_config(self) -> dict[str, Any]:
        return {"type": self.name, "patience": self.patience, "min_delta": self.min_delta,
                "wrapped": None if self.wrapped is None else self.wrapped.to_config()}

    def stalled(self, trial: FrozenTrial, direction: Direction) -> bool:
        """Whether the last ``patience`` reports brought no improvement beyond ``min_delta``."""
        values = [trial.intermediate[s] for s in sorted(trial.intermediate)]
        if len(values) <= self.patience:
            return False
        before, recent = values[:-self.patience], values[-self.patience:]
        if direction is Direction.MINIMIZE:
            return min(recent) >= min(before) - self.min_delta
        return max(recent) <= max(before) + self.min_delta

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        if not self.stalled(trial, study.directions[0]):
            return False
        return self.wrapped is None or self.wrapped.should_prune(study, trial)
