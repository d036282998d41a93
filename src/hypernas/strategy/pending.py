"""Keeping pending trials apart: a proposal that repeats a still-running trial's configuration is moved.

Parallel workers ask before earlier trials are told, so a strategy may propose what another
worker is already evaluating (random draws in a small space, a model that has not seen the
result yet, an exploited Q table). :func:`apart_from_pending` replaces such a proposal by the
nearest configuration that no pending trial has: a mutation of it (one change, then more), else a
random sample, else, in a small finite space, any configuration left; configurations never tried
are preferred to finished ones. It draws only from the generator it is given (the strategy's, for
the trial), so proposals stay reproducible for a seed, and it changes nothing when no pending
trial has the proposal: a sequential search is untouched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Space

PURPOSE = 2  # the rng_for purpose of the generator that moves a proposal
_TRIES = 48  # mutations, then as many random samples
_ENUMERABLE = 4096  # a finite space of at most this many configurations is enumerated as the last resort


def pending_keys(space: Space, trials: Iterable[FrozenTrial], number: int) -> set[str]:
    """Keys of the configurations of the RUNNING trials other than trial ``number``."""
    return {space.key(t.params) for t in trials
            if t.state is TrialState.RUNNING and t.params and t.number != number}


def apart_from_pending(space: Space, params: Mapping[str, Any], trials: list[FrozenTrial], number: int,
                       rng: np.random.Generator) -> dict[str, Any]:
    """``params``, or when a RUNNING trial other than ``number`` among ``trials`` has them, the nearest
    configuration that none has (``params`` again only when every configuration of the space is pending)."""
    pending = pending_keys(space, trials, number)
    if space.key(params) not in pending:
        return dict(params)
    seen = {space.key(t.params) for t in trials if t.params}
    fallback: dict[str, Any] | None = None
    for candidate in _candidates(space, params, rng):
        key = space.key(candidate)
        if key not in seen:
            return candidate
        if fallback is None and key not in pending:
            fallback = candidate
    if fallback is None:
        rest = [c for c in _enumerate(space) if space.key(c) not in pending]
        new = [c for c in rest if space.key(c) not in seen]
        if new or rest:
            options = new or rest
            fallback = options[int(rng.integers(len(options)))]
    return fallback if fallback is not None else dict(params)


def _candidates(space: Space, params: Mapping[str, Any], rng: np.random.Generator) -> Iterator[dict[str, Any]]:
    """Mutations of ``params`` (one change, then two, then three), then random samples."""
    for k in range(_TRIES):
        yield space.mutate(params, rng, 1 + k * 3 // _TRIES)
    for _ in range(_TRIES):
        yield space.sample(rng)


def _enumerate(space: Space) -> list[dict[str, Any]]:
    """Every configuration of a finite space of at most ``_ENUMERABLE`` of them, else none."""
    cards = [p.cardinality for _, p in space.items()]
    if any(c is None for c in cards) or math.prod(c for c in cards if c is not None) > _ENUMERABLE:
        return []
    return space.grid(max([c for c in cards if c is not None], default=1))
