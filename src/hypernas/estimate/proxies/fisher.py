"""Fisher (Theis et al. 2018; Turner et al. 2020) as a NAS proxy.

For every output channel ``k`` of every convolution and linear layer: ``0.5 * mean over the batch of
(sum over positions of activation x loss gradient)^2``, the loss increase its removal would cause;
the score sums them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from hypernas.estimate.proxies.base import Loss, Proxy, layer_sum, weighted_layers


def fisher(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """The summed Fisher channel saliency of ``model`` on one labelled batch."""
    assert targets is not None
    saliencies: list[torch.Tensor] = []

    def track(module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> None:
        if not output.requires_grad:
            return
        act = output.detach()

        def saliency(grad: torch.Tensor) -> None:
            per_channel = (act * grad).sum(dim=tuple(range(2, act.ndim))) if act.ndim > 2 else act * grad
            saliencies.append(0.5 * per_channel.pow(2).mean(dim=0))

        output.register_hook(saliency)

    hooks = [m.register_forward_hook(track) for m in weighted_layers(model)]
    try:
        model.train()
        model.zero_grad()
        loss(model(inputs), targets).backward()
    finally:
        for hook in hooks:
            hook.remove()
    return layer_sum(saliencies)


FISHER = Proxy(fisher, "labels", "summed Fisher saliency of the output channels")
