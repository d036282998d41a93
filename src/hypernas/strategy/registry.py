"""Strategies by registered name, so that Python code and YAML configs can say ``"random"``, ``"grid"``, ..."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hypernas.errors import StrategyError
from hypernas.registry import Registry
from hypernas.strategy.base import Strategy

STRATEGIES: Registry[type[Strategy]] = Registry("strategy", error=StrategyError, plural="strategies")


def register_strategy(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    """Class decorator: make a strategy available under ``name``."""
    return STRATEGIES.register(name)


def make_strategy(spec: Strategy | str | Mapping[str, Any] | None, seed: int | None = None) -> Strategy:
    """A strategy from an object, a registered name, or a mapping ``{type: name, **options}``.

    ``seed`` is used when the spec does not give its own (a seed of None, as ``to_config`` writes for a
    strategy without one, counts as not given).
    """
    if isinstance(spec, Strategy):
        return spec
    if spec is None:
        spec = "random"
    if isinstance(spec, Mapping) and "seed" in spec and spec["seed"] is None:
        spec = {k: v for k, v in spec.items() if k != "seed"}
    if not isinstance(spec, (str, Mapping)):
        raise StrategyError(f"strategy must be a name, a mapping or a Strategy object, got {spec!r}")
    strategy: Strategy = STRATEGIES.build(spec, defaults={"seed": seed})
    return strategy
