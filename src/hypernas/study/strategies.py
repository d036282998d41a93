"""The strategy of a study from its spec, with what the strategy layer cannot build itself: a cheap ``signal``
given by its config (``{type: zero_cost, proxy: synflow, ...}``) becomes the registered signal it names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypernas.estimate.registry import SIGNALS
from hypernas.strategy import Strategy, make_strategy
from hypernas.strategy.signal import CALLABLE


def with_signal(spec: Any) -> Any:
    """``spec`` with its ``signal`` config built by :data:`~hypernas.estimate.registry.SIGNALS` (a plain callable's
    config is left for the strategy, which says that it cannot be rebuilt)."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("signal"), Mapping):
        return spec
    signal = spec["signal"]
    if signal.get("type") == CALLABLE:
        return spec
    return {**spec, "signal": SIGNALS.build(signal)}


def build_strategy(spec: Strategy | str | Mapping[str, Any] | None, seed: int | None = None) -> Strategy:
    """:func:`~hypernas.strategy.make_strategy` after :func:`with_signal`: the study's and the CLI's way in."""
    return make_strategy(with_signal(spec), seed=seed)
