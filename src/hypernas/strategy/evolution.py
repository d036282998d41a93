"""Regularized (aging) evolution, Real et al. 2019, and tournament evolution for comparison.

Every cycle samples ``sample_size`` members of the population, takes the best as the parent,
mutates it and adds the child. Aging evolution then removes the *oldest* member (the population
is the ``population_size`` most recent results); ``removal="worst"`` removes the worst instead.
The population is rebuilt from the history at every ask, so resumes and parallel workers need no
extra state. The first ``population_size`` trials are random samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial
from hypernas.strategy._nas.candidates import check_weights, scored, seen_keys, unseen_child, unseen_sample
from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_choice, check_int

REMOVALS = ("oldest", "worst")  # aging, tournament


@register_strategy("evolution")
class AgingEvolution(Strategy):
    """Aging evolution (``removal="oldest"``) or tournament evolution (``removal="worst"``) over any space."""

    def __init__(self, population_size: int = 20, sample_size: int = 5, removal: str = "oldest",
                 weights: Sequence[float] | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.population_size = check_int("evolution", "population_size", population_size, 2, error=StrategyError)
        self.sample_size = check_int("evolution", "sample_size", sample_size, 1, population_size, error=StrategyError)
        self.removal = check_choice("evolution", "removal", removal, REMOVALS, error=StrategyError)
        self.weights = check_weights("evolution", weights)

    def population(self, study: StudyView) -> list[tuple[FrozenTrial, float]]:
        """The current population (trial, reward), oldest first."""
        done = scored(study, self.weights)
        if self.removal == "oldest":
            return done[-self.population_size:]
        pop: list[tuple[FrozenTrial, float]] = []
        for item in done:
            pop.append(item)
            if len(pop) > self.population_size:
                pop.remove(min(pop, key=lambda x: x[1]))
        return pop

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        rng = self.rng_for(study, trial)
        seen = seen_keys(study)
        pop = self.population(study) if trial.number >= self.population_size else []
        if not pop:
            return unseen_sample(study.space, rng, seen)
        picks = rng.choice(len(pop), size=min(self.sample_size, len(pop)), replace=False)
        parent = max((pop[int(i)] for i in picks), key=lambda x: x[1])[0]
        child = unseen_child(study.space, parent.params, rng, seen)
        if child is None:  # every mutation tried was evaluated: a random sample, of no parent
            return unseen_sample(study.space, rng, seen)
        self.derived_from(trial, parent)
        return child
