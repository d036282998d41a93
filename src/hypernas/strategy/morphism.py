"""Hill climbing by network morphisms (NASH, Elsken et al. 2018; the inner loop of LEMONADE).

The first ``n_initial`` trials are random samples (or enqueued starts). Then every proposal is a
child of the best finished trial whose round is not full yet: ``n_morphs`` function-preserving
moves (the space's :class:`~hypernas.space.Morphable` ``morphisms``) applied in sequence to its
architecture, its other parameters kept. A round is ``n_children`` children; once the best
trial's round is full the search climbs to a better child when one is told, and meanwhile (parallel
workers, children still running) extends the next best trial's round. Each child's parent trial and
morphisms are recorded with it (``decisions``: ``{"parent": 3, "morphisms": [...]}``), so an objective
can start the child from its parent's trained weights (``morph_transfer``) and train it briefly.
Everything is read from the history: a resumed study continues as it would have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError, StrategyError
from hypernas.record import DECISIONS_ATTR, FrozenTrial
from hypernas.space import Morphable, Space
from hypernas.space.capabilities import capability_text, offering
from hypernas.strategy._nas.candidates import check_weights, scored, seen_keys, unseen_sample
from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_int

_TRIES = 20  # random morphism sequences tried per parent before the next parent is taken


@register_strategy("morphism")
class MorphismHillClimbing(Strategy):
    """NASH-style hill climbing: children of the best trial by ``n_morphs`` network morphisms, ``n_children`` a round."""

    def __init__(self, n_initial: int = 4, n_children: int = 8, n_morphs: int = 2,
                 weights: Sequence[float] | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.n_initial = check_int("morphism", "n_initial", n_initial, 1, error=StrategyError)
        self.n_children = check_int("morphism", "n_children", n_children, 1, error=StrategyError)
        self.n_morphs = check_int("morphism", "n_morphs", n_morphs, 1, error=StrategyError)
        self.weights = check_weights("morphism", weights)

    def check_space(self, space: Space) -> None:
        if not any(isinstance(p, Morphable) for _, p in space.items()):
            params = ", ".join(f"{name!r} ({type(p).__name__})" for name, p in space.items())
            raise StrategyError(f"morphism: no parameter of the space has {capability_text(Morphable)} "
                                f"(parameters: {params}); spaces that have morphisms: {', '.join(offering(Morphable))}")

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        rng = self.rng_for(study, trial)
        seen = seen_keys(study)
        if trial.number >= self.n_initial:
            children: dict[int, int] = {}
            for t in study.get_trials():
                parent = (t.system_attrs.get(DECISIONS_ATTR) or {}).get("parent")
                if isinstance(parent, int):
                    children[parent] = children.get(parent, 0) + 1
            ranked = sorted(scored(study, self.weights), key=lambda x: (-x[1], x[0].number))
            for parent_trial, _ in ranked:
                if children.get(parent_trial.number, 0) >= self.n_children:
                    continue
                found = self._child(space, parent_trial.params, rng, seen)
                if found is not None:
                    child, names = found
                    self.derived_from(trial, parent_trial, morphisms=names)
                    return child
        return unseen_sample(space, rng, seen)

    def _child(self, space: Space, parent: Mapping[str, Any], rng: np.random.Generator,
               seen: set[str]) -> tuple[dict[str, Any], list[str]] | None:
        """An unseen child of ``parent`` by up to ``n_morphs`` random morphisms, with their names; None if none is found."""
        morphable = {name: p for name, p in space.items() if isinstance(p, Morphable) and name in parent}
        for _ in range(_TRIES):
            child, names = dict(parent), []
            for _ in range(self.n_morphs):
                moves = [(name, move, value) for name, p in morphable.items() for move, value in p.morphisms(child[name])]
                if not moves:
                    break
                name, move, value = moves[int(rng.integers(len(moves)))]
                child[name] = value
                names.append(move if len(morphable) == 1 else f"{name}: {move}")
            if not names or space.key(child) in seen:
                continue
            try:
                return space.validate(child), names
            except SpaceError:
                continue
        return None
