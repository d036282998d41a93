"""``ZeroCostObjective``: score a trial's network at initialisation with zero-cost proxies, without training.

From a config: ``objective: {type: zero_cost, proxy: synflow, model: nb201}`` (the trial's ``cell``
parameter becomes the network) or ``proxy: [synflow, naswot]`` for a dict of scores. Trial parameters
(after renaming by ``aliases``) are ``model`` (a registered model's name, when searched) or options
of the model builder; anything else fails the trial with a message naming it.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from hypernas.errors import ConfigError, ObjectiveError
from hypernas.estimate.local_lock import LocalLock
from hypernas.estimate.models import MODELS, build_model
from hypernas.estimate.proxies.init import init_params
from hypernas.estimate.proxies.registry import PROXIES, get_proxy, proxy_score
from hypernas.estimate.train.datasets import DATASETS, load_dataset
from hypernas.estimate.train.trainer import as_float, seeded
from hypernas.space import Space
from hypernas.validate import check_int, check_int_list, check_seed

_OWNER = "objective 'zero_cost'"


class ZeroCostObjective(LocalLock):
    """Build each trial's network with weights drawn from ``seed`` and return its proxy score(s).

    ``proxy``: a name of :data:`PROXIES` or a list of them (a dict of scores is returned). The batch is
    ``batch_size`` samples of ``dataset``'s training set drawn with ``seed``; with ``dataset=None`` only
    the data-free proxies (``synflow``, ``params``, ``flops``) can run, on ``input_shape`` with
    ``num_classes`` outputs. Every score is to be maximised.
    """

    _left_behind = ("_batch",)  # a worker process draws its own batch

    def __init__(self, proxy: str | Sequence[str] = "synflow", model: str = "nb201", *,
                 model_options: Mapping[str, Any] | None = None, dataset: str | None = "digits",
                 data_root: str | os.PathLike | None = None, download: bool = True, batch_size: int = 64,
                 input_shape: Sequence[int] | None = None, num_classes: int = 10, seed: int = 0,
                 aliases: Mapping[str, str] | None = None) -> None:
        names = [proxy] if isinstance(proxy, str) else list(proxy) if isinstance(proxy, Sequence) else [proxy]
        if not names:
            raise ObjectiveError(f"{_OWNER}: proxy must name at least one of {', '.join(PROXIES.names())}, got {proxy!r}")
        for name in names:
            if not isinstance(name, str) or name not in PROXIES:
                raise ObjectiveError(f"{_OWNER}: unknown proxy {name!r}; allowed: {', '.join(PROXIES.names())}")
        self.proxies = names
        try:
            self.accepted = MODELS.options(model)
        except ConfigError as exc:
            raise ObjectiveError(f"{_OWNER}: {exc}") from None
        self.model = model
        self.model_options = dict(model_options or {})
        unknown = [k for k in self.model_options if k not in self.accepted]
        if unknown:
            raise ObjectiveError(f"{_OWNER}: model {model!r}: unknown option {unknown[0]!r}; "
                                 f"allowed: {', '.join(self.accepted)}")
        if dataset is None:
            if input_shape is None:
                raise ObjectiveError(f"{_OWNER}: without a dataset give input_shape, e.g. [3, 32, 32]")
            self.input_shape: tuple[int, ...] | None = tuple(check_int_list(_OWNER, "input_shape", input_shape, 1,
                                                                           error=ObjectiveError))
            needy = [n for n in names if get_proxy(n).needs != "shape"]
            if needy:
                raise ObjectiveError(f"{_OWNER}: proxy {needy[0]!r} needs data: give a dataset (e.g. digits); "
                                     "without one only synflow, params and flops can run")
        else:
            if input_shape is not None:
                raise ObjectiveError(f"{_OWNER}: give a dataset or an input_shape, not both (got {dataset!r} and "
                                     f"{input_shape!r})")
            try:
                DATASETS.get(dataset)
            except ConfigError as exc:
                raise ObjectiveError(f"{_OWNER}: {exc}") from None
            self.input_shape = None
        self.dataset = dataset
        self.data_options: dict[str, Any] = {"root": data_root, "download": download}
        self.batch_size = check_int(_OWNER, "batch_size", batch_size, 2, error=ObjectiveError)
        self.num_classes = check_int(_OWNER, "num_classes", num_classes, 1, error=ObjectiveError)
        self.seed = check_seed(_OWNER, seed, optional=False, error=ObjectiveError)
        if aliases is not None and not (isinstance(aliases, Mapping) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in aliases.items())):
            raise ObjectiveError(f"{_OWNER}: aliases must map parameter names to option names, got {aliases!r}")
        self.aliases = dict(aliases or {})
        self._batch: tuple[torch.Tensor, torch.Tensor, int] | None = None
        self._lock = threading.Lock()


    @property
    def directions(self) -> list[str]:
        """Every proxy is maximised."""
        return ["maximize"] * len(self.proxies)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """``(inputs, labels, number of classes)``: the seeded batch every trial is scored on, loaded once."""
        with self._lock:
            if self._batch is None:
                if self.dataset is None:
                    assert self.input_shape is not None
                    shape = (1, *self.input_shape)
                    self._batch = torch.zeros(shape), torch.zeros(1, dtype=torch.long), self.num_classes
                else:
                    data = load_dataset(self.dataset, **self.data_options).train
                    rng = np.random.default_rng(self.seed)
                    rows = np.sort(rng.choice(len(data), size=min(self.batch_size, len(data)), replace=False))
                    picked = data.subset(rows)
                    self._batch = as_float(picked.x), picked.y, data.num_classes
            return self._batch

    def check_space(self, space: Space) -> None:
        """Refuse, before any trial runs, a parameter that is neither ``model`` nor an option of the model."""
        for name in space.names:
            key = self.aliases.get(name, name)
            if key != "model" and key not in self.accepted:
                raise ObjectiveError(f"trial parameter {name!r} is not read by the zero_cost objective: it is not an "
                                     f"option of model {self.model!r} ({', '.join(self.accepted)}); rename it with "
                                     "aliases=")

    def network(self, params: Mapping[str, Any], input_shape: Sequence[int], num_classes: int) -> torch.nn.Module:
        """The network of a trial's parameters, with weights drawn from ``seed``."""
        options = {self.aliases.get(k, k): v for k, v in params.items()}
        model = options.pop("model", self.model)
        try:
            accepted = MODELS.options(model)
        except ConfigError as exc:
            raise ObjectiveError(f"{_OWNER}: {exc}") from None
        for key in options:
            if key not in accepted:
                raise ObjectiveError(f"trial parameter {key!r} is not an option of model {model!r} "
                                     f"({', '.join(accepted)}); rename it with aliases=")
        kwargs = {k: v for k, v in self.model_options.items() if k in accepted}
        kwargs.update({k: list(v) if isinstance(v, tuple) else v for k, v in options.items()})
        with seeded(self.seed, exclusive=True):  # the builder's own draws leave torch's global generator as it was
            net = build_model(model, input_shape, num_classes, **kwargs)
        return init_params(net, self.seed)

    def __call__(self, trial: Any) -> float | dict[str, float]:
        inputs, labels, num_classes = self.batch()
        net = self.network(dict(trial.params), tuple(inputs.shape[1:]), num_classes)
        out: dict[str, float] = {}
        for name in self.proxies:
            value = proxy_score(name, net, inputs, labels)
            if not math.isfinite(value):
                raise FloatingPointError(f"proxy {name!r} is {value} for this network (degenerate: e.g. no path "
                                         "from input to output)")
            out[name] = value
        setter = getattr(trial, "set_user_attr", None)
        if setter is not None and len(out) > 1:
            for key, value in out.items():
                setter(f"proxy_{key}", value)
        return out[self.proxies[0]] if len(out) == 1 else out
