"""Best-improvement local search with random restarts.

From the current configuration every neighbour (``space.neighbors``) is evaluated; the search
then moves to the best neighbour if it improves on the current one, else it has reached a local
optimum and restarts from a random configuration. Neighbours evaluated earlier (in any context)
are not evaluated again. The current configuration is kept with the study so a resume continues.
With parallel workers the move waits for the whole neighbourhood: while its last neighbours are
still running, proposals look ahead around the best neighbour so far (random ones when none improves).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.strategy._nas.candidates import check_weights, scored, seen_keys, unseen_sample
from hypernas.strategy.base import Strategy, StudyView, state_params
from hypernas.strategy.registry import register_strategy


@register_strategy("local")
class LocalSearch(Strategy):
    """Best-improvement hill climbing over neighbours, restarting at local optima."""

    def __init__(self, weights: Sequence[float] | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.weights = check_weights("local", weights)

    def check_state(self, study: StudyView, state: Any) -> dict[str, Any]:
        """The configuration whose neighbourhood is being evaluated."""
        return state_params(study.space, state, "state")

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        rng = self.rng_for(study, trial)
        seen = seen_keys(study)
        done = scored(study, self.weights)
        rewards = {space.key(t.params): r for t, r in done}
        evaluated = {space.key(t.params): t for t, _ in done}
        running = {space.key(t.params) for t in study.get_trials((TrialState.RUNNING,)) if t.params}
        center = self.load_state(study)  # the configuration whose neighbourhood is being evaluated
        for _ in range(len(seen) + 2):
            if center is None:
                break
            if space.key(center) not in seen:  # the restart point was never asked (e.g. an interrupted ask)
                return dict(center)
            near = space.neighbors(center)
            todo = [n for n in near if space.key(n) not in seen]
            if todo:
                if space.key(center) in evaluated:
                    self.derived_from(trial, evaluated[space.key(center)])
                return todo[int(rng.integers(len(todo)))]
            known = [(rewards[space.key(n)], n) for n in near if space.key(n) in rewards]
            here = rewards.get(space.key(center))
            if here is not None and any(space.key(n) in running for n in near):
                ahead, origin = self._meanwhile(space, known, here, rng, seen)
                if origin is not None:
                    self.derived_from(trial, evaluated[space.key(origin)])
                return ahead
            if not known or here is None:
                break  # the centre or every neighbour failed: restart
            best_reward, best = max(known, key=lambda x: x[0])
            if best_reward <= here:
                break  # local optimum: restart
            center = best
            self.save_state(study, center)
        center = unseen_sample(space, rng, seen)
        self.save_state(study, center)
        return center

    @staticmethod
    def _meanwhile(space: Space, known: list[tuple[float, dict[str, Any]]], here: float, rng: np.random.Generator,
                   seen: set[str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A proposal while the last neighbours are pending (parallel workers), the move decided once they are told:
        a neighbour of the best neighbour so far if it improves (the likely next centre), else a random one; with
        the configuration it is a neighbour of (None for a random one)."""
        best_reward, best = max(known, key=lambda x: x[0], default=(here, None))
        if best is not None and best_reward > here:
            ahead = [n for n in space.neighbors(best) if space.key(n) not in seen]
            if ahead:
                return ahead[int(rng.integers(len(ahead)))], best
        return unseen_sample(space, rng, seen), None
