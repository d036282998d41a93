"""Cheap signals: a fast score of a configuration that a strategy may consult before it spends a trial on it.

A :class:`CheapSignal` is a callable ``params -> float`` (higher is better) with a ``to_config()`` that names
it in the study's record, such as a zero-cost proxy (``{type: zero_cost, proxy: synflow, ...}``; see
``hypernas.ProxySignal``). The strategy layer only calls signals: building one from its config needs the
estimators, so the study and the CLI do it (``create_study``, ``load_study``, a run config). A plain Python
function works too, but its config only names it, so a resumed study needs it passed again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hypernas.errors import StrategyError

CALLABLE = "callable"
"""The ``type`` of the config written for a signal without a ``to_config``: a plain Python callable."""


@runtime_checkable
class CheapSignal(Protocol):
    """A deterministic score of a configuration, higher is better, that costs far less than a trial."""

    def __call__(self, params: Mapping[str, Any]) -> float: ...

    def to_config(self) -> dict[str, Any]:
        """``{type: name, **options}``, from which the study rebuilds the signal when it is resumed."""


def signal_config(signal: Any) -> dict[str, Any] | None:
    """What the record keeps of ``signal``: its ``to_config()``, or for a plain callable ``{type: callable, name}``."""
    if signal is None:
        return None
    to_config = getattr(signal, "to_config", None)
    if callable(to_config):
        config: dict[str, Any] = to_config()
        return config
    name = getattr(signal, "__qualname__", None) or type(signal).__qualname__
    return {"type": CALLABLE, "name": f"{getattr(signal, '__module__', None) or '?'}.{name}"}


def check_signal(owner: str, signal: Any) -> Any:
    """``signal`` if it is None or a callable; a config here (a mapping) was not built, which the error explains."""
    if signal is None or (callable(signal) and not isinstance(signal, type)):
        return signal
    if isinstance(signal, Mapping) and signal.get("type") == CALLABLE:
        raise StrategyError(f"{owner}: the signal {signal.get('name')!r} is a Python callable, which its stored "
                            "config cannot rebuild; pass the strategy again with signal=<that callable>")
    if isinstance(signal, Mapping):
        raise StrategyError(f"{owner}: signal {dict(signal)!r} is a config, which only create_study, load_study or a "
                            "run config build; here pass a signal object such as hypernas.ProxySignal(...)"[:400])
    raise StrategyError(f"{owner}: signal must be a callable params -> float (a CheapSignal) or None, got {signal!r}"[:300])


class SignalScores:
    """A signal's scores, computed once per configuration (by the space's canonical key); a score that is not a
    finite number (a network the proxy cannot rank) counts as ``-inf``."""

    def __init__(self, signal: Any) -> None:
        self.signal = signal
        self._cache: dict[str, float] = {}

    def __call__(self, configs: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> np.ndarray:
        out = np.empty(len(configs))
        for i, (params, key) in enumerate(zip(configs, keys)):
            if key not in self._cache:
                value = float(self.signal(dict(params)))
                self._cache[key] = value if math.isfinite(value) else -math.inf
            out[i] = self._cache[key]
        return out

    def best(self, configs: Sequence[Mapping[str, Any]], keys: Sequence[str], k: int) -> list[int]:
        """The indices of the ``k`` best-scored configurations, best first (ties: the earlier one)."""
        return [int(i) for i in np.argsort(-self(configs, keys), kind="stable")[:k]]
