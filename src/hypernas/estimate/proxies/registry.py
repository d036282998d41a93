"""The zero-cost proxies by name, and :func:`proxy_score`, which runs one on a network.

Each entry is a :class:`~hypernas.estimate.proxies.base.Proxy`, imported only when first used; add
one with ``PROXIES.register(name)(Proxy(fn, needs, summary))``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from hypernas.errors import ObjectiveError
from hypernas.estimate.proxies.base import Loss, Proxy
from hypernas.registry import Registry

PROXIES: Registry[Proxy] = Registry("proxy", error=ObjectiveError, plural="proxies")
for _name, _target in {
    "synflow": "synflow:SYNFLOW", "naswot": "naswot:NASWOT", "jacob_cov": "jacob_cov:JACOB_COV",
    "snip": "snip:SNIP", "grasp": "grasp:GRASP", "fisher": "fisher:FISHER", "grad_norm": "grad_norm:GRAD_NORM",
    "params": "baselines:PARAMS", "flops": "baselines:FLOPS",
}.items():
    PROXIES.register_path(_name, f"hypernas.estimate.proxies.{_target}")


def get_proxy(name: str) -> Proxy:
    """The proxy registered as ``name`` (an :class:`ObjectiveError` listing the known ones otherwise)."""
    proxy = PROXIES.get(name)
    if not isinstance(proxy, Proxy):
        raise ObjectiveError(f"proxy {name!r} is registered as {proxy!r}, not a Proxy")
    return proxy


def proxy_score(name: str, model: nn.Module, inputs: torch.Tensor | Sequence[int], targets: torch.Tensor | None = None, *,
          loss: Loss | None = None) -> float:
    """Score ``model`` with the proxy ``name`` (higher predicts a better network once trained).

    ``inputs``: a batch ``(N, *sample shape)``, or for the data-free proxies (``synflow``, ``params``,
    ``flops``) just the sample shape. ``targets``: the batch's class labels, for the proxies that take
    a loss (``snip``, ``grasp``, ``fisher``, ``grad_norm``); ``loss`` defaults to cross-entropy.
    The network is scored on a copy: ``model`` itself, its weights, gradients and mode stay as they were.
    """
    proxy = get_proxy(name)
    if not isinstance(inputs, torch.Tensor):
        if proxy.needs != "shape":
            raise ObjectiveError(f"proxy {name!r} needs a batch of inputs, not only the shape {tuple(inputs)}")
        param = next(model.parameters(), None)
        inputs = torch.zeros((1, *(int(d) for d in inputs)), device=param.device if param is not None else None)
    if proxy.needs == "inputs" and inputs.shape[0] < 2:
        raise ObjectiveError(f"proxy {name!r} compares the samples of a batch: give at least 2, got {inputs.shape[0]}")
    if proxy.needs == "labels" and (targets is None or len(targets) != len(inputs)):
        got = "none" if targets is None else f"{len(targets)} for {len(inputs)} inputs"
        raise ObjectiveError(f"proxy {name!r} needs one class label per input, got {got}")
    work = copy.deepcopy(model)
    loss_fn = loss if loss is not None else nn.functional.cross_entropy
    return float(proxy.fn(work, inputs, targets, loss_fn))
