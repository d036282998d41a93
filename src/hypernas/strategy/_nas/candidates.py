"""Helpers shared by the NAS strategies: rewards from the history, unseen candidates, crossover, features."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.space import Crossable, HasDistance, HasFeatures, Space
from hypernas.strategy.base import StudyView, objective_sign
from hypernas.validate import is_number


def check_weights(name: str, weights: Sequence[float] | None) -> list[float] | None:
    """Validate a strategy's ``weights`` option (one per objective; the reward is their weighted sum)."""
    if weights is None:
        return None
    listed = isinstance(weights, Iterable) and not isinstance(weights, (str, bytes, Mapping))
    items = list(weights) if listed else []
    if not listed or not all(is_number(w) for w in items):
        raise StrategyError(f"{name}: weights must be a list of numbers (one per objective), got {weights!r}")
    out = [float(w) for w in items]
    if not out or not any(out):
        raise StrategyError(f"{name}: weights must contain a non-zero number, got {weights!r}")
    return out


def reward(trial: FrozenTrial, directions: list[Direction], weights: list[float] | None = None) -> float:
    """A score to maximize: the first objective, or the weighted sum of all objectives (maximize-oriented).

    Weights let a reward trade accuracy against cost, e.g. ``[1.0, 0.01]`` for (accuracy, -params).
    """
    values = trial.values or []
    if weights is None:
        weights = [1.0] + [0.0] * (len(values) - 1)
    if len(weights) != len(values):
        raise StrategyError(f"weights {weights!r} do not match the {len(values)} objective(s) of the study")
    return float(sum(-w * objective_sign(d) * v for w, v, d in zip(weights, values, directions)))


def scored(study: StudyView, weights: list[float] | None = None) -> list[tuple[FrozenTrial, float]]:
    """Finished trials with values (COMPLETE, and PRUNED at their last value), in number order, with rewards."""
    trials = study.get_trials((TrialState.COMPLETE, TrialState.PRUNED))
    return [(t, reward(t, study.directions, weights)) for t in trials if t.values]


def seen_keys(study: StudyView) -> set[str]:
    """Keys of every configuration already asked (finished or still running)."""
    space = study.space
    return {space.key(t.params) for t in study.get_trials() if t.params}


def unseen_sample(space: Space, rng: np.random.Generator, seen: set[str], tries: int = 100) -> dict[str, Any]:
    """A random configuration not in ``seen`` (the last draw if every try was seen)."""
    params = space.sample(rng)
    for _ in range(tries):
        if space.key(params) not in seen:
            break
        params = space.sample(rng)
    return params


def unseen_child(space: Space, parent: Mapping[str, Any], rng: np.random.Generator, seen: set[str],
                 tries: int = 50, n_mutations: int = 1) -> dict[str, Any] | None:
    """A mutation of ``parent`` not in ``seen``; None when ``tries`` mutations were all seen."""
    for _ in range(tries):
        child = space.mutate(parent, rng, n_mutations)
        if space.key(child) not in seen:
            return child
    return None


def unseen_mutation(space: Space, parent: Mapping[str, Any], rng: np.random.Generator, seen: set[str],
                    tries: int = 50, n_mutations: int = 1) -> dict[str, Any]:
    """A mutation of ``parent`` not in ``seen``; falls back to an unseen random sample."""
    child = unseen_child(space, parent, rng, seen, tries, n_mutations)
    return child if child is not None else unseen_sample(space, rng, seen)


def nearest(space: Space, params: Mapping[str, Any], among: Sequence[tuple[FrozenTrial, float]]) -> FrozenTrial | None:
    """The evaluated trial of ``among`` (trial, reward) closest to ``params`` (:func:`distance`; ties: the better
    one): the parent a proposal built from several evaluated ones derives most from."""
    if not among:
        return None
    return min(among, key=lambda x: (distance(space, params, x[0].params), -x[1]))[0]


def crossover(space: Space, a: Mapping[str, Any], b: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A child taking each parameter from one parent; :class:`~hypernas.space.Crossable` genotypes are mixed inside."""
    child: dict[str, Any] = {}
    for name, p in space.items():
        if not space.is_active(name, child):
            continue
        options = [x[name] for x in (a, b) if name in x]
        if not options:
            child[name] = p.sample(rng)
        elif len(options) == 2 and isinstance(p, Crossable):
            child[name] = p.crossover(options[0], options[1], rng)
        else:
            child[name] = options[int(rng.integers(len(options)))]
    return child


def features(space: Space, params: Mapping[str, Any]) -> np.ndarray:
    """Numbers describing a configuration for accuracy predictors.

    Parameters that have :class:`~hypernas.space.HasFeatures` (e.g. the NB201 path encoding) use them;
    the rest use their [0, 1] encoding; inactive parameters are zeros.
    """
    parts: list[list[float]] = []
    for name, p in space.items():
        if isinstance(p, HasFeatures):
            size = len(p.features(p.default))
            parts.append(list(p.features(params[name])) if name in params else [0.0] * size)
        else:
            parts.append(list(p.encode(params[name])) if name in params else [0.0] * p.n_dims)
    return np.asarray([x for part in parts for x in part], dtype=float)


def distance(space: Space, a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """How many genes differ: per parameter its own distance (:class:`~hypernas.space.HasDistance`), else 0 or 1."""
    total = 0.0
    for name, p in space.items():
        if name in a and name in b:
            total += float(p.distance(a[name], b[name])) if isinstance(p, HasDistance) else float(space.key({name: a[name]}) != space.key({name: b[name]}))
        elif name in a or name in b:
            total += 1.0
    return total
