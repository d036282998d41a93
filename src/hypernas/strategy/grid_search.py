"""Grid search, exhaustive or in stages that refine around the best point of the previous stage.

Stage 0 is the full grid of the space (finite parameters take every value, continuous ones
``resolution`` points, log-aware). With ``stages > 1``, each later stage is a grid of the same
resolution on a range one grid-spacing around the best complete trial so far, categorical choices
held at that trial's values: the classic coarse-to-fine search. Points already in the history are
never proposed twice, and the stage plan is kept with the study, so a resumed search continues.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hypernas.errors import SearchExhausted, SpaceError, StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Fixed, NumericParam, Param, Space
from hypernas.strategy.base import (
    BadState,
    Strategy,
    StudyView,
    objective_sign,
    state_dict,
    state_list,
    state_params,
)
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_bool, check_int

MAX_GRID_POINTS = 1_000_000


@register_strategy("grid")
class GridSearch(Strategy):
    """Every grid point once, in order (or shuffled by the seed), then optional refinement stages."""

    def __init__(self, resolution: int = 5, stages: int = 1, shuffle: bool = False, seed: int | None = None) -> None:
        super().__init__(seed)
        self.resolution = check_int("grid", "resolution", resolution, 2, error=StrategyError)
        self.stages = check_int("grid", "stages", stages, 1, error=StrategyError)
        self.shuffle = check_bool("grid", "shuffle", shuffle, error=StrategyError)

    def check_space(self, space: Space) -> None:
        bound = 1
        for _, p in space.items():
            try:
                bound *= len(p.grid(self.resolution))
            except SpaceError as exc:  # an architecture space too large to enumerate
                raise StrategyError(f"grid: {exc}") from None
            if bound > MAX_GRID_POINTS:
                raise StrategyError(
                    f"grid: the space has more than {MAX_GRID_POINTS:,} grid points at resolution {self.resolution}; "
                    "lower the resolution, fix some parameters, or use strategy 'random'")

    def _points(self, study: StudyView, space: Space, stage: int) -> list[dict[str, Any]]:
        points = space.grid(self.resolution)
        if self.shuffle:
            seed = self.seed if self.seed is not None else study.seed if study.seed is not None else 0
            order = np.random.default_rng([seed, stage]).permutation(len(points))
            points = [points[i] for i in order]
        return points

    def _refined_space(self, space: Space, center: dict[str, Any], stage: int) -> Space:
        """The stage's space: numeric parameters narrowed around ``center``, the rest fixed to it."""
        # Stage k spans one grid spacing of stage k-1 on each side of the centre: the half-width
        # shrinks by 2 / (resolution - 1), which is no shrink at all for resolution 3 (and a growth
        # for 2), so those halve it instead.
        shrink = 2.0 / (self.resolution - 1) if self.resolution > 3 else 0.5
        radius = 0.5 * shrink**stage
        params: dict[str, Param] = {}
        for name, value in center.items():
            p = space[name]
            params[name] = p.narrowed(value, radius) if isinstance(p, NumericParam) else Fixed(value)
        return Space(params)

    def check_state(self, study: StudyView, state: Any) -> list[dict[str, Any]]:
        """The stages: ``{"center": None}`` for the full grid, then ``{"center": configuration}`` per refinement."""
        plan = state_list(state, "state")
        if not plan:
            raise BadState.expected("state", "a list of stages", plan)
        for i, stage in enumerate(plan):
            center = state_dict(stage, f"state[{i}]", ("center",))["center"]
            if i == 0 and center is not None:
                raise BadState.expected("state[0].center", "None (the full grid)", center)
            if i > 0:
                state_params(study.space, center, f"state[{i}].center")
        return plan

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        trials = study.get_trials()
        seen = {space.key(t.params) for t in trials if t.params}
        plan: list[dict[str, Any]] = self.load_state(study) or [{"center": None}]  # the stages' centres
        while True:
            stage = len(plan) - 1
            center = plan[-1]["center"]
            stage_space = space if center is None else self._refined_space(space, center, stage)
            for point in self._points(study, stage_space, stage):
                if space.key(point) not in seen:
                    return point
            if len(plan) >= self.stages:
                raise SearchExhausted(f"grid search is complete: every point of {self.stages} stage(s) was tried")
            best = self._best(study, trials)
            if best is None:
                raise SearchExhausted(f"grid stage {stage + 1} ended without a complete trial to refine around")
            plan.append({"center": best})
            self.save_state(study, plan)

    @staticmethod
    def _best(study: StudyView, trials: list[FrozenTrial]) -> dict[str, Any] | None:
        done = [t for t in trials if t.state is TrialState.COMPLETE and t.values]
        if not done:
            return None
        sign = objective_sign(study.directions[0])
        return dict(min(done, key=lambda t: sign * t.values[0]).params)  # type: ignore[index]
