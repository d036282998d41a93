"""NEAT-style evolution (Stanley & Miikkulainen 2002) of genotypes: speciation, structural mutation, crossover.

Generations of ``population_size`` trials: generation ``g`` holds trials ``g*N .. g*N+N-1``. The
finished members of the previous generation are grouped into species (a member joins the first
species whose founder is within ``compatibility`` genes of it: edge operations for cells, one per
differing parameter otherwise); fitness is shared within each species, which receives offspring in
proportion to its shared fitness so that new structures are protected while they mature. Each
child is a crossover of two parents from the top ``survival`` fraction of its species (with
probability ``crossover_rate``) or a copy of one, then mutated: structurally (``grow`` or ``shrink``: add or
remove an edge or a layer, for genotypes that can) with probabilities ``add_rate`` / ``remove_rate``, else by an
ordinary mutation. A generation's offspring are saved with the study, so resumes and parallel
workers agree on them. Generation 0 is random. When a generation's offspring are bred while members
of the previous one are still running (parallel workers), as many of the latest earlier results
stand in for them, so the parents stay a full population.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Growable, Space
from hypernas.strategy._nas.candidates import (
    check_weights,
    crossover,
    distance,
    nearest,
    scored,
    seen_keys,
    unseen_mutation,
    unseen_sample,
)
from hypernas.strategy.base import Strategy, StudyView, state_dict, state_index, state_list, state_params
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_int, check_number


@register_strategy("neat")
class NEAT(Strategy):
    """Speciated evolution with structural mutations and crossover, for any space (cells use edge moves)."""

    def __init__(self, population_size: int = 20, compatibility: float = 2.0, survival: float = 0.5,
                 crossover_rate: float = 0.5, add_rate: float = 0.2, remove_rate: float = 0.2,
                 weights: Sequence[float] | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.population_size = check_int("neat", "population_size", population_size, 2, error=StrategyError)
        self.compatibility = check_number("neat", "compatibility", compatibility, 0, error=StrategyError)
        self.survival = check_number("neat", "survival", survival, 0, 1, error=StrategyError)
        self.crossover_rate = check_number("neat", "crossover_rate", crossover_rate, 0, 1, error=StrategyError)
        self.add_rate = check_number("neat", "add_rate", add_rate, 0, 1, error=StrategyError)
        self.remove_rate = check_number("neat", "remove_rate", remove_rate, 0, 1, error=StrategyError)
        if add_rate + remove_rate > 1:
            raise StrategyError(f"neat: add_rate + remove_rate must be <= 1, got {add_rate} + {remove_rate}")
        self.weights = check_weights("neat", weights)

    def speciate(self, space: Space, members: list[tuple[FrozenTrial, float]]) -> list[list[tuple[FrozenTrial, float]]]:
        """Species (best member first), formed in order of fitness around their founders."""
        species: list[list[tuple[FrozenTrial, float]]] = []
        for member in sorted(members, key=lambda x: -x[1]):
            for group in species:
                if distance(space, group[0][0].params, member[0].params) <= self.compatibility:
                    group.append(member)
                    break
            else:
                species.append([member])
        return species

    def _quotas(self, species: list[list[tuple[FrozenTrial, float]]]) -> list[int]:
        """Offspring per species, proportional to the species' shared fitness (largest remainder)."""
        low = min(r for group in species for _, r in group)
        shared = np.asarray([sum(r - low + 1e-3 for _, r in group) / len(group) for group in species])
        raw = shared / shared.sum() * self.population_size
        quotas = np.floor(raw).astype(int)
        for i in np.argsort(-(raw - quotas), kind="stable")[: self.population_size - int(quotas.sum())]:
            quotas[i] += 1
        return quotas.tolist()

    def _mutate(self, space: Space, params: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        u = rng.random()
        move = "grow" if u < self.add_rate else "shrink" if u < self.add_rate + self.remove_rate else None
        structural = [(n, p) for n, p in space.items() if move and n in params and isinstance(p, Growable)]
        if structural:
            name, p = structural[int(rng.integers(len(structural)))]
            changed = p.grow(params[name], rng) if move == "grow" else p.shrink(params[name], rng)
            if changed is not None:
                return {**params, name: changed}
        return space.mutate(params, rng)

    def _offspring(self, study: StudyView, generation: int, rng: np.random.Generator) -> list[dict[str, Any]]:
        space = study.space
        n = self.population_size
        done = scored(study, self.weights)
        start = (generation - 1) * n
        parents = [x for x in done if start <= x[0].number < generation * n]
        running = sum(1 for t in study.get_trials((TrialState.RUNNING,)) if start <= t.number < generation * n)
        if running:  # parallel workers: the latest earlier results stand in for members still running
            parents = [x for x in done if x[0].number < start][-running:] + parents
        parents = parents or done
        seen = seen_keys(study)
        children: list[dict[str, Any]] = []
        species = self.speciate(space, parents)
        for group, quota in zip(species, self._quotas(species)):
            elite = group[: max(1, int(np.ceil(self.survival * len(group))))]
            for _ in range(quota):
                a = elite[int(rng.integers(len(elite)))]
                if len(elite) > 1 and rng.random() < self.crossover_rate:
                    b = elite[int(rng.integers(len(elite)))]
                    first, second = (a, b) if a[1] >= b[1] else (b, a)
                    child = crossover(space, first[0].params, second[0].params, rng)
                else:
                    child = dict(a[0].params)
                child = self._mutate(space, child, rng)
                if space.key(child) in seen:
                    child = unseen_mutation(space, child, rng, seen)
                seen.add(space.key(child))
                children.append(child)
        return children

    def check_state(self, study: StudyView, state: Any) -> dict[str, list[dict[str, Any]]]:
        """The offspring of each generation after the first: generation number -> ``population_size`` configurations."""
        for key, children in state_dict(state, "state").items():
            state_index(key, "state")
            for i, child in enumerate(state_list(children, f"state[{key!r}]", self.population_size)):
                state_params(study.space, child, f"state[{key!r}][{i}]")
        return state

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        generation, index = divmod(trial.number, self.population_size)
        rng = self.rng_for(study, trial)
        if generation == 0 or not scored(study, self.weights):
            return unseen_sample(study.space, rng, seen_keys(study))
        offspring: dict[str, list[dict[str, Any]]] = self.load_state(study) or {}  # generation -> its children
        children = offspring.get(str(generation))
        if children is None:
            seed = self.seed if self.seed is not None else study.seed
            children = self._offspring(study, generation, np.random.default_rng([seed or 0, generation, 17]))
            offspring[str(generation)] = children
            self.save_state(study, offspring)
        child = children[index]
        if study.space.key(child) in seen_keys(study):  # e.g. an enqueued trial took it
            child = unseen_mutation(study.space, child, rng, seen_keys(study))
        parent = nearest(study.space, child, scored(study, self.weights))
        if parent is not None:
            self.derived_from(trial, parent)
        return child
