"""Threshold pruning: stop a trial whose latest value leaves a fixed range (e.g. a diverged loss)."""

from __future__ import annotations

from hypernas.errors import ConfigError
from hypernas.estimate.pruners.base import PRUNERS, Pruner, PrunerStudyView
from hypernas.record import FrozenTrial
from hypernas.validate import check_int, check_number


@PRUNERS.register("threshold")
class ThresholdPruner(Pruner):
    """Prune when the latest intermediate value is below ``lower`` or above ``upper``, whatever the direction.

    Steps before ``n_warmup_steps`` and off the ``interval_steps`` grid are never pruned.
    """

    def __init__(self, lower: float | None = None, upper: float | None = None, n_warmup_steps: int = 0,
                 interval_steps: int = 1) -> None:
        if lower is None and upper is None:
            raise ConfigError(f"{self.owner}: give lower=, upper= or both")
        self.lower = check_number(self.owner, "lower", lower, optional=True)
        self.upper = check_number(self.owner, "upper", upper, optional=True)
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ConfigError(f"{self.owner}: lower ({lower!r}) must not exceed upper ({upper!r})")
        self.n_warmup_steps = check_int(self.owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int(self.owner, "interval_steps", interval_steps, 1)

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps or (step - self.n_warmup_steps) % self.interval_steps:
            return False
        value = trial.intermediate[step]
        return (self.lower is not None and value < self.lower) or (self.upper is not None and value > self.upper)
