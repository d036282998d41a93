"""NSGA-II: a genetic algorithm that keeps the non-dominated, well-spread trials and breeds from them.

Trial ``n`` belongs to generation ``n // population_size``. Generation 0 is random. Every later
trial is bred from the survivors of all earlier generations: the best ``population_size``
complete trials by constrained domination (feasible before infeasible, then Pareto rank, then
crowding distance). Two binary tournaments pick the parents; crossover mixes them parameter by
parameter (simulated binary crossover for numbers, a coin flip for anything else, such as
categories or architecture genotypes) and the space's own ``mutate`` changes each parameter with
probability ``mutation_prob``. Conditions are respected: a child takes only the parameters its
values make active, and new ones are sampled. Everything derives from the history and the
seed, so a resumed study continues exactly; children already in the history are bred again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial
from hypernas.space import Fixed, Float, Int, Space
from hypernas.strategy._bo.history import quality_order, read_history
from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_int, check_number

_MAX_RETRIES = 16


@register_strategy("nsga2")
class NSGA2(Strategy):
    """Elitist non-dominated sorting GA for one or several objectives, with constraints."""

    def __init__(self, population_size: int = 50, crossover_prob: float = 0.9, mutation_prob: float | None = None,
                 eta: float = 20.0, constraint_attr: str | None = "constraint", seed: int | None = None) -> None:
        super().__init__(seed)
        self.population_size = check_int("nsga2", "population_size", population_size, 2, error=StrategyError)
        self.crossover_prob = check_number("nsga2", "crossover_prob", crossover_prob, 0, 1, error=StrategyError)
        self.mutation_prob = check_number("nsga2", "mutation_prob", mutation_prob, 0, 1, optional=True,
                                          error=StrategyError)
        self.eta = check_number("nsga2", "eta", eta, 0, low_open=True, error=StrategyError)
        self.constraint_attr = constraint_attr

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        rng = self.rng_for(study, trial)
        generation = trial.number // self.population_size
        history = read_history(study, trial, self.constraint_attr)
        eligible = [i for i, t in enumerate(history.complete) if t.number < generation * self.population_size]
        if len(eligible) < 2:
            return space.sample(rng)
        idx = np.array(eligible)
        order = quality_order(history.values[idx], history.violations[idx])[:self.population_size]
        parents = [history.complete[idx[i]] for i in order]  # best first: position is fitness
        seen = {space.key(t.params) for t in history.complete + history.pruned + history.running}
        child: dict[str, Any] = {}
        for _ in range(_MAX_RETRIES):
            a, b = parents[self._tournament(rng, len(parents))], parents[self._tournament(rng, len(parents))]
            child = self._crossover(space, a.params, b.params, rng) if rng.random() < self.crossover_prob \
                else dict(a.params)
            child = self._mutate(space, child, rng)
            if space.key(child) not in seen:
                break
        return child

    @staticmethod
    def _tournament(rng: np.random.Generator, n: int) -> int:
        i, j = rng.integers(n, size=2)
        return int(min(i, j))

    def _crossover(self, space: Space, a: dict[str, Any], b: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        child: dict[str, Any] = {}
        for name, p in space.items():
            if not space.is_active(name, child):
                continue
            in_a, in_b = name in a, name in b
            if in_a and in_b and isinstance(p, (Float, Int)) and p.cardinality != 1:
                child[name] = p.decode([self._sbx(p.encode(a[name])[0], p.encode(b[name])[0], rng)])
            elif in_a and in_b:
                child[name] = a[name] if rng.random() < 0.5 else b[name]
            elif in_a or in_b:
                child[name] = a[name] if in_a else b[name]
            else:
                child[name] = p.sample(rng)
        return child

    def _sbx(self, x1: float, x2: float, rng: np.random.Generator) -> float:
        """Simulated binary crossover in the unit scale: one child, near one parent or the other."""
        u = rng.random()
        beta = (2 * u) ** (1 / (self.eta + 1)) if u <= 0.5 else (1 / (2 * (1 - u))) ** (1 / (self.eta + 1))
        sign = 1.0 if rng.random() < 0.5 else -1.0
        return float(np.clip(0.5 * ((x1 + x2) + sign * beta * (x1 - x2)), 0.0, 1.0))

    def _mutate(self, space: Space, child: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        movable = [n for n, p in space.items() if not isinstance(p, Fixed) and (p.cardinality or 2) > 1]
        prob = self.mutation_prob if self.mutation_prob is not None else 1.0 / max(len(movable), 1)
        out: dict[str, Any] = {}
        for name, p in space.items():
            if not space.is_active(name, out):
                continue
            value = child[name] if name in child else p.sample(rng)
            if name in movable and rng.random() < prob:
                value = p.mutate(value, rng)
            out[name] = value
        return out
