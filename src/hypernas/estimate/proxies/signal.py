"""``ProxySignal``: a zero-cost proxy as the cheap signal of a strategy (warm-up and move proposal of the
predictor), scoring a configuration without a trial.

From a config: ``strategy: {type: predictor, signal: {type: zero_cost, proxy: synflow, ...}, warmup_pool: 100}``;
the options are :class:`~hypernas.estimate.proxies.objective.ZeroCostObjective`'s, with one proxy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hypernas.errors import ObjectiveError, StrategyError
from hypernas.estimate.proxies.objective import _OWNER, ZeroCostObjective
from hypernas.estimate.proxies.registry import proxy_score
from hypernas.registry import Configurable
from hypernas.space import Space

_SIGNAL = "signal 'zero_cost'"


class ProxySignal(Configurable):
    """The score of ``proxy`` for a configuration's network, built and initialised as
    :class:`~hypernas.estimate.proxies.objective.ZeroCostObjective` builds a trial's (same options, same score);
    higher is better. The same options give the same score for the same configuration."""

    name: ClassVar[str] = "zero_cost"

    def __init__(self, proxy: str = "synflow", model: str = "nb201", *, model_options: Mapping[str, Any] | None = None,
                 dataset: str | None = "digits", data_root: str | os.PathLike | None = None, download: bool = True,
                 batch_size: int = 64, input_shape: Sequence[int] | None = None, num_classes: int = 10, seed: int = 0,
                 aliases: Mapping[str, str] | None = None) -> None:
        if not isinstance(proxy, str):
            raise StrategyError(f"{_SIGNAL}: proxy must be the name of one proxy (a signal is one number), "
                                f"got {proxy!r}")
        try:
            self._objective = ZeroCostObjective(proxy, model, model_options=model_options, dataset=dataset,
                                                data_root=data_root, download=download, batch_size=batch_size,
                                                input_shape=input_shape, num_classes=num_classes, seed=seed,
                                                aliases=aliases)
        except ObjectiveError as exc:
            raise StrategyError(str(exc).replace(_OWNER, _SIGNAL, 1)) from None
        self.proxy, self.model, self.dataset, self.download = proxy, model, dataset, download
        self.model_options = dict(model_options or {})
        self.data_root = None if data_root is None else os.fspath(data_root)
        self.batch_size, self.num_classes, self.seed = batch_size, num_classes, seed
        self.input_shape = None if input_shape is None else list(input_shape)
        self.aliases = dict(aliases or {})

    def __call__(self, params: Mapping[str, Any]) -> float:
        inputs, labels, num_classes = self._objective.batch()
        net = self._objective.network(dict(params), tuple(inputs.shape[1:]), num_classes)
        return proxy_score(self.proxy, net, inputs, labels)

    def check_space(self, space: Space) -> None:
        """Refuse, before any trial runs, a parameter that is neither ``model`` nor an option of the model."""
        try:
            self._objective.check_space(space)
        except ObjectiveError as exc:
            raise StrategyError(f"{_SIGNAL}: {exc}") from None
