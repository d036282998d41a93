"""Threshold pruning: stop a trial whose latest value leaves a fixed range (e.g. a diverged loss)."""

from __future__ import annotations

from typing import Any

from hypernas.errors import ConfigError
from hypernas.estimate.pruners._common import check_float, check_int
from hypernas.estimate.pruners.base import Pruner, PrunerStudyView, register_pruner
from hypernas.record import FrozenTrial


@register_pruner("threshold")
class ThresholdPruner(Pruner):
    """Prune when the latest intermediate value is below ``lower`` or above ``upper``, whatever the direction.

    Steps before ``n_warmup_steps`` and off the ``interval_steps`` grid are never pruned.
    """

    def __init__(self, lower: float | None = None, upper: float | None = None, n_warmup_steps: int = 0,
                 interval_steps: int = 1) -> None:
        if lower is None and upper is None:
            raise ConfigError("pruner 'threshold': give lower=, upper= or both")
        self.lower = None if lower is None else check_float("threshold", "lower", lower)
        self.upper = None if upper is None else check_float("threshold", "upper", upper)
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ConfigError(f"pruner 'threshold': lower ({lower!r}) must not exceed upper ({upper!r})")
        self.n_warmup_steps = check_int("threshold", "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int("threshold", "interval_steps", interval_steps, 1)

    def to_config(self) -> dict[str, Any]:
        return {"type": self.name, "lower": self.lower, "upper": self.upper, "n_warmup_steps": self.n_warmup_steps,
                "interval_steps": self.interval_steps}

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps or (step - self.n_warmup_steps) % self.interval_steps:
            return False
        value = trial.intermediate[step]
        return (self.lower is not None and value < self.lower) or (self.upper is not None and value > self.upper)
