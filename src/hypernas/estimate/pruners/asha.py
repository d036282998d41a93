"""Asynchronous successive halving (ASHA): at each rung keep only the top 1/eta of the trials that got there."""

from __future__ import annotations

from hypernas.errors import ConfigError
from hypernas.estimate.pruners._common import crossed, n_better, rung_steps, value_at
from hypernas.estimate.pruners.base import PRUNERS, Pruner, PrunerStudyView
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.validate import check_int

COMPETING = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


@PRUNERS.register("asha")
class ASHAPruner(Pruner):
    """Rungs at steps ``min_resource * reduction_factor**(k + min_early_stopping_rate)`` below ``max_resource``.

    When a trial reaches a rung it goes on only if its value there (at its first report at or past
    the rung's step) is among the top ``1/reduction_factor`` (at least the single best, ties go on)
    of the values there of every trial that has reached that rung so far, itself and running ones
    included: no trial waits for a rung to fill, so parallel workers never idle. The value at the
    rung, not the best before it, is what counts: an early peak that the trial has lost does not carry it.
    A rung with fewer than ``bootstrap_count`` trials (this one included) lets every trial through.
    The decision is taken once, at the report that reaches the rung; ask ``should_prune`` after each report.
    """

    def __init__(self, min_resource: int = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0,
                 max_resource: int | None = None, bootstrap_count: int = 0) -> None:
        self.min_resource = check_int(self.owner, "min_resource", min_resource, 1)
        self.reduction_factor = check_int(self.owner, "reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = check_int(self.owner, "min_early_stopping_rate", min_early_stopping_rate, 0)
        self.max_resource = check_int(self.owner, "max_resource", max_resource, 1, optional=True)
        if self.max_resource is not None and self.max_resource < self.min_resource:
            raise ConfigError(f"{self.owner}: max_resource ({max_resource}) must be >= min_resource ({min_resource})")
        self.bootstrap_count = check_int(self.owner, "bootstrap_count", bootstrap_count, 0)
        self.rungs = rung_steps(self.min_resource, self.reduction_factor, self.max_resource, self.min_early_stopping_rate)

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        return self.decide(trial, study.get_trials(COMPETING), study.directions[0])

    def decide(self, trial: FrozenTrial, competitors: list[FrozenTrial], direction: Direction) -> bool:
        """Whether ``trial`` stops at a rung it has just reached, among ``competitors`` (itself skipped)."""
        for step in self.rungs:
            if not crossed(trial, step):
                continue
            mine = value_at(trial, step)
            reached_values = [value_at(t, step) for t in competitors if t.number != trial.number]
            values = [v for v in reached_values if v is not None]
            n = len(values) + 1
            if mine is None or n < self.bootstrap_count:
                continue
            if n_better(mine, values, direction) >= max(1, n // self.reduction_factor):
                return True
        return False
