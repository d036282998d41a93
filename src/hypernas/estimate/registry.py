"""Built-in objectives by name, for configs such as ``objective: {type: train, dataset: digits}``, and the
cheap signals a strategy may consult (``strategy: {type: predictor, signal: {type: zero_cost, proxy: synflow}}``).

Entries are import paths, loaded only when used, so that naming an objective never imports
heavy modules (torch, data loaders) that the chosen one does not need. Add one with
``OBJECTIVES.register_path(name, "package.module:factory")`` (or ``@OBJECTIVES.register(name)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hypernas.errors import ObjectiveError, StrategyError
from hypernas.registry import Registry

OBJECTIVES: Registry[Callable[..., Any]] = Registry("objective", error=ObjectiveError)
OBJECTIVES.register_path("train", "hypernas.estimate.train.objective:TrainingObjective")
OBJECTIVES.register_path("nb201", "hypernas.estimate.tabular:NB201Benchmark")
OBJECTIVES.register_path("zero_cost", "hypernas.estimate.proxies.objective:ZeroCostObjective")

SIGNALS: Registry[Callable[..., Any]] = Registry("signal", error=StrategyError)
"""Cheap signals (``params -> float`` with a ``to_config``) by name; the study builds a strategy's ``signal`` config
with it. Register your own Configurable signal here and a study using it resumes from its config alone."""
SIGNALS.register_path("zero_cost", "hypernas.estimate.proxies.signal:ProxySignal")


def make_objective(spec: str | Mapping[str, Any]) -> Callable[..., Any]:
    """Build a built-in objective from ``{type: name, **options}``.

    Option names are checked against the factory's signature, except for a factory that takes any
    keyword (the training objective accepts every training option) and checks its own.
    """
    name, _ = OBJECTIVES.parse(spec)
    if not isinstance(name, str) or name.lower() not in OBJECTIVES:
        raise ObjectiveError(f"{OBJECTIVES.unknown(name)} (or give 'module:function')")
    return OBJECTIVES.build(spec)
