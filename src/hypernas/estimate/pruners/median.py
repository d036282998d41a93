"""Median stopping: stop a trial whose best value so far is worse than the median of other trials at that step."""

from __future__ import annotations

from hypernas.estimate.pruners.base import PRUNERS
from hypernas.estimate.pruners.percentile import PercentilePruner


@PRUNERS.register("median")
class MedianPruner(PercentilePruner):
    """The percentile rule at 50%: prune a trial that is worse than half of the trials at the same step.

    ``n_startup_trials`` COMPLETE trials come first unpruned (one by default: pruned trials count
    in the reference, see PercentilePruner); steps before ``n_warmup_steps`` and off the
    ``interval_steps`` grid are never pruned; at least ``n_min_trials`` trials must have reached the step.
    """

    def __init__(self, n_startup_trials: int = 1, n_warmup_steps: int = 0, interval_steps: int = 1,
                 n_min_trials: int = 1) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)
