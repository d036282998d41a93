"""What model-based strategies read from a study: scores to minimize, constraint violations, ranks.

Every strategy here minimizes: maximized objectives are negated. A trial is feasible when its
user attribute named by ``constraint_attr`` (a number or a list of numbers) is missing or <= 0
everywhere; its violation is the sum of the positive parts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState, as_finite_float
from hypernas.space import Categorical, Fixed, Float, Int, Param, Space, value_key
from hypernas.strategy.base import StudyView, objective_sign

_SUPPORTED = (Float, Int, Categorical, Fixed)
_FOR_ARCHITECTURES = "'evolution', 'random' or 'nsga2' (they search any architecture space)"


@dataclass
class History:
    """The trials a model learns from, split by state; ``values`` are signed to be minimized."""

    complete: list[FrozenTrial]
    values: np.ndarray  # (n_complete, n_objectives), minimized
    violations: np.ndarray  # (n_complete,), 0 when feasible
    pruned: list[FrozenTrial]
    running: list[FrozenTrial]


def read_history(study: StudyView, trial: FrozenTrial, constraint_attr: str | None) -> History:
    """The study's trials as seen when proposing ``trial`` (which itself is excluded from the running ones)."""
    signs = np.array([objective_sign(d) for d in study.directions])
    trials = study.get_trials()
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None
                and len(t.values) == len(signs) and t.number != trial.number]
    pruned = [t for t in trials if t.state is TrialState.PRUNED and t.params and t.number != trial.number]
    running = [t for t in trials if t.state is TrialState.RUNNING and t.params and t.number != trial.number]
    values = np.array([t.values for t in complete], dtype=float).reshape(len(complete), len(signs)) * signs
    violations = np.zeros(len(complete))
    if constraint_attr:
        constrained = [i for i, t in enumerate(complete) if constraint_attr in t.user_attrs]
        violations[constrained] = [violation(complete[i], constraint_attr) for i in constrained]
    return History(complete, values, violations, pruned, running)


def constraint_values(trial: FrozenTrial, constraint_attr: str | None) -> list[float]:
    """The trial's constraint values (<= 0 is feasible); empty when it has none."""
    if not constraint_attr or constraint_attr not in trial.user_attrs:
        return []
    raw = trial.user_attrs[constraint_attr]
    items: Iterable[Any] = raw if isinstance(raw, (list, tuple)) else [raw]
    out = []
    for x in items:
        f = as_finite_float(x)
        out.append(float("inf") if f is None else f)
    return out


def violation(trial: FrozenTrial, constraint_attr: str | None) -> float:
    return float(sum(max(c, 0.0) for c in constraint_values(trial, constraint_attr)))


def model_column(p: Param, values: list[Any]) -> np.ndarray:
    """The parameter's values in the model's scale: unit positions, or choice indices."""
    if isinstance(p, Categorical):
        index = {value_key(c): i for i, c in enumerate(p.choices)}
        return np.array([index[value_key(v)] for v in values], dtype=float)
    assert isinstance(p, (Float, Int))
    v = np.asarray(values, dtype=float)
    if p.high == p.low:
        return np.full(len(v), 0.5)
    if p.log:
        return (np.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    return (v - p.low) / (p.high - p.low)


def nondominated_ranks(y: np.ndarray) -> np.ndarray:
    """Pareto rank of every row of ``y`` (minimized): 0 for the front, 1 for the next, ..."""
    n = len(y)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    le = (y[:, None, :] <= y[None, :, :]).all(axis=2)
    lt = (y[:, None, :] < y[None, :, :]).any(axis=2)
    dominates = np.asarray(le & lt)  # dominates[i, j]: i dominates j
    n_dominators = dominates.sum(axis=0)
    rank = 0
    current = np.flatnonzero(n_dominators == 0)
    while current.size:
        ranks[current] = rank
        n_dominators = n_dominators - dominates[current].sum(axis=0)
        n_dominators[ranks >= 0] = -1
        current = np.flatnonzero(n_dominators == 0)
        rank += 1
    return ranks


def crowding_distance(y: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each row of ``y`` within its set (boundary points: infinity)."""
    n, m = y.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(y[:, k], kind="stable")
        span = y[order[-1], k] - y[order[0], k]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (y[order[2:], k] - y[order[:-2], k]) / span
    return dist


def quality_order(values: np.ndarray, violations: np.ndarray) -> np.ndarray:
    """Indices from best to worst: feasible first (by value, or Pareto rank then crowding), then by violation."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=int)
    feasible = violations <= 0
    if values.shape[1] == 1:
        primary = values[:, 0]
        secondary = np.zeros(n)
    else:
        primary = np.zeros(n)
        secondary = np.zeros(n)
        idx = np.flatnonzero(feasible)
        if idx.size:
            ranks = nondominated_ranks(values[idx])
            primary[idx] = ranks
            for r in np.unique(ranks):
                members = idx[ranks == r]
                secondary[members] = -crowding_distance(values[members])
    primary = np.where(feasible, primary, 0.0)
    return np.lexsort((np.arange(n), secondary, primary, violations, ~feasible))


def check_params(strategy: str, space: Space, allowed: Sequence[type[Param]] = _SUPPORTED,
                 alternatives: str = "'random' or an evolution strategy") -> None:
    """Raise StrategyError naming the first parameter whose type ``strategy`` cannot model, and strategies that
    can: ``alternatives`` for a plain parameter, those that search any architecture space for an architecture."""
    for name, p in space.items():
        if not isinstance(p, tuple(allowed)):
            kinds = ", ".join(sorted({c.type_name for c in allowed}))
            hint = alternatives if isinstance(p, _SUPPORTED) else _FOR_ARCHITECTURES
            raise StrategyError(f"strategy {strategy!r} cannot search parameter {name!r} of type "
                                f"{p.type_name!r} (it handles: {kinds}); use {hint}")


def check_single_objective(strategy: str, study: StudyView, alternatives: str) -> None:
    if len(study.directions) != 1:
        raise StrategyError(f"strategy {strategy!r} optimizes one objective but the study has "
                            f"{len(study.directions)} directions; use {alternatives}")
