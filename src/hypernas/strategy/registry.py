"""Strategies by registered name, so that Python code and YAML configs can say ``"random"``, ``"grid"``, ..."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from hypernas.errors import StrategyError
from hypernas.strategy.base import Strategy

STRATEGIES: dict[str, type[Strategy]] = {}


def register_strategy(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    """Class decorator: make a strategy available under ``name``."""

    def decorate(cls: type[Strategy]) -> type[Strategy]:
        cls.name = name
        STRATEGIES[name] = cls
        return cls

    return decorate


def make_strategy(spec: Strategy | str | Mapping[str, Any] | None, seed: int | None = None) -> Strategy:
    """A strategy from an object, a registered name, or a mapping ``{type: name, **options}``.

    ``seed`` is used when the spec does not give its own.
    """
    if isinstance(spec, Strategy):
        return spec
    if spec is None:
        spec = "random"
    options: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("type", None)
        if name is None:
            raise StrategyError(f"strategy config needs a 'type'; known strategies: {', '.join(sorted(STRATEGIES))}")
    elif isinstance(spec, str):
        name = spec
    else:
        raise StrategyError(f"strategy must be a name, a mapping or a Strategy object, got {spec!r}")
    cls = STRATEGIES.get(str(name).lower())
    if cls is None:
        raise StrategyError(f"unknown strategy {name!r}; known strategies: {', '.join(sorted(STRATEGIES))}")
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise StrategyError(f"strategy {name!r}: unknown option {unknown[0]!r}; allowed: {', '.join(allowed)}")
    if "seed" not in options and "seed" in allowed:
        options["seed"] = seed
    try:
        return cls(**options)
    except TypeError as exc:
        raise StrategyError(f"strategy {name!r}: {exc}; allowed options: {', '.join(allowed)}") from None
