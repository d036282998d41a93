"""Percentile pruning: stop a trial whose best value so far is worse than most other trials' at the same step."""

from __future__ import annotations

import numpy as np

from hypernas.estimate.pruners._common import best_upto, reached
from hypernas.estimate.pruners.base import PRUNERS, Pruner, PrunerStudyView
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.validate import check_int, check_number


@PRUNERS.register("percentile")
class PercentilePruner(Pruner):
    """Prune when the trial is outside the best ``percentile`` percent of the other trials at its step.

    At step ``s`` the trial's best value up to ``s`` is compared with the best values up to ``s`` of
    the finished trials (COMPLETE and PRUNED) that reached ``s``. Nothing is pruned before
    ``n_startup_trials`` trials are COMPLETE, before step ``n_warmup_steps``, at steps off the
    ``interval_steps`` grid, or when fewer than ``n_min_trials`` trials reached the step.

    Pruned trials are part of the reference, so one complete trial (the default) is enough to have
    one at every step: each start-up trial trains to the end unpruned, and five of them (Optuna's
    default, whose reference holds only COMPLETE trials) spend most of a small budget before any pruning.
    """

    def __init__(self, percentile: float = 25.0, n_startup_trials: int = 1, n_warmup_steps: int = 0,
                 interval_steps: int = 1, n_min_trials: int = 1) -> None:
        self.percentile = check_number(self.owner, "percentile", percentile, 0.0, 100.0)
        self.n_startup_trials = check_int(self.owner, "n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = check_int(self.owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int(self.owner, "interval_steps", interval_steps, 1)
        self.n_min_trials = check_int(self.owner, "n_min_trials", n_min_trials, 1)

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps or (step - self.n_warmup_steps) % self.interval_steps:
            return False
        finished = study.get_trials((TrialState.COMPLETE, TrialState.PRUNED))
        if sum(t.state is TrialState.COMPLETE for t in finished) < self.n_startup_trials:
            return False
        direction = study.directions[0]
        bests = [best_upto(t, step, direction) for t in finished if t.number != trial.number and reached(t, step)]
        others = [v for v in bests if v is not None]
        if len(others) < self.n_min_trials:
            return False
        mine = best_upto(trial, step, direction)
        if mine is None:
            return False
        if direction is Direction.MINIMIZE:
            return mine > float(np.percentile(others, self.percentile))
        return mine < float(np.percentile(others, 100.0 - self.percentile))
