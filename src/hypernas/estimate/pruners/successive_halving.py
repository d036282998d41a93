"""Synchronous successive halving: fixed cohorts of trials, each rung keeps a fixed share of the cohort."""

from __future__ import annotations

from hypernas.errors import ConfigError
from hypernas.estimate.pruners._common import n_better, reached, rung_steps, value_at
from hypernas.estimate.pruners.base import PRUNERS, Pruner, PrunerStudyView
from hypernas.record import FrozenTrial, TrialState
from hypernas.validate import check_int

_MEMBERS = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


@PRUNERS.register("successive_halving")
class SuccessiveHalvingPruner(Pruner):
    """Successive halving over cohorts of ``cohort_size`` consecutive trial numbers.

    Rung ``k`` sits at step ``min_resource * reduction_factor**k`` (below ``max_resource``) and lets
    ``cohort_size // reduction_factor**(k+1)`` (at least one) trials of the cohort through, as in
    the synchronous algorithm: the decision is over the whole cohort, not over whoever came first.
    No trial waits for its rung to fill: at every report a trial is stopped as soon as enough
    cohort members beat it at some rung it passed that it can no longer make that rung's cut. A
    trial's value at a rung is its value at its first report at or past the rung's step.
    The default cohort is ``reduction_factor ** n_rungs`` trials, so one of them trains to the end.
    """

    def __init__(self, max_resource: int, min_resource: int = 1, reduction_factor: int = 3,
                 cohort_size: int | None = None) -> None:
        self.min_resource = check_int(self.owner, "min_resource", min_resource, 1)
        self.max_resource = check_int(self.owner, "max_resource", max_resource, 1)
        if max_resource <= min_resource:
            raise ConfigError(f"{self.owner}: max_resource ({max_resource}) must be > min_resource ({min_resource})")
        self.reduction_factor = check_int(self.owner, "reduction_factor", reduction_factor, 2)
        self.rungs = rung_steps(self.min_resource, self.reduction_factor, self.max_resource)
        default = self.reduction_factor ** len(self.rungs)
        self.cohort_size = default if cohort_size is None else check_int(self.owner, "cohort_size", cohort_size, 1)

    def quota(self, rung: int) -> int:
        """How many trials of a cohort pass rung ``rung``."""
        return max(1, self.cohort_size // self.reduction_factor ** (rung + 1))

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        direction = study.directions[0]
        cohort = trial.number // self.cohort_size
        members = [t for t in study.get_trials(_MEMBERS)
                   if t.number // self.cohort_size == cohort and t.number != trial.number]
        for k, step in enumerate(self.rungs):
            if not reached(trial, step):
                break
            mine = value_at(trial, step)
            values = [value_at(t, step) for t in members]
            if mine is not None and n_better(mine, [v for v in values if v is not None], direction) >= self.quota(k):
                return True
        return False
