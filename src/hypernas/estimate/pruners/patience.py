"""Patience: stop a trial that has not improved for a number of steps, alone or as a guard on another pruner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypernas.estimate.pruners.base import PRUNERS, Pruner, PrunerStudyView, make_pruner
from hypernas.record import Direction, FrozenTrial
from hypernas.validate import check_int, check_number


@PRUNERS.register("patience")
class PatiencePruner(Pruner):
    """Prune a trial whose best value over its last ``patience`` reports does not beat its best before
    them by more than ``min_delta``.

    With ``wrapped`` (a pruner, a name or ``{type: ..., ...}``) the trial is pruned only when it has
    stalled *and* the wrapped pruner says so: a patient version of e.g. the median rule.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0,
                 wrapped: Pruner | str | Mapping[str, Any] | None = None) -> None:
        self.patience = check_int(self.owner, "patience", patience, 1)
        self.min_delta = check_number(self.owner, "min_delta", min_delta, 0.0)
        self.wrapped = None if wrapped is None else make_pruner(wrapped)

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
