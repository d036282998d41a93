"""What every zero-cost proxy shares: the :class:`Proxy` record and the network surgery the proxies need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Needs = Literal["shape", "inputs", "labels"]


@dataclass(frozen=True)
class Proxy:
    """A zero-cost proxy: ``fn(model, inputs, targets, loss) -> score`` (higher predicts a better network).

    ``needs`` says what it reads: ``"shape"`` only the input shape (``inputs`` may be any batch of that
    shape), ``"inputs"`` real images, ``"labels"`` images and their labels. ``fn`` gets its own copy of
    the network, which it may change.
    """

    fn: Callable[[nn.Module, torch.Tensor, torch.Tensor | None, Loss], float]
    needs: Needs
    summary: str


def weighted_layers(model: nn.Module) -> list[nn.Module]:
    """The convolutions and linear layers: the weights the pruning-at-init proxies sum over."""
    return [m for m in model.modules() if isinstance(m, (_ConvNd, nn.Linear))]


def layer_weights(model: nn.Module) -> list[torch.Tensor]:
    """The weights of the convolutions and linear layers."""
    weights = []
    for layer in weighted_layers(model):
        weight = layer.weight
        assert isinstance(weight, torch.Tensor)
        weights.append(weight)
    return weights


def drop_batchnorm(model: nn.Module) -> nn.Module:
    """``model`` with every batch norm replaced by the identity (in place), as synflow needs."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, _BatchNorm):
                setattr(parent, name, nn.Identity())
    return model


def backward_loss(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, loss: Loss) -> None:
    """Fill every parameter's ``.grad`` with the gradient of ``loss`` on one batch (training mode)."""
    model.train()
    model.zero_grad()
    loss(model(inputs), targets).backward()


def layer_sum(values: list[torch.Tensor]) -> float:
    """The sum of per-layer tensors, as a Python float (0.0 for none)."""
    return float(sum((v.detach().double().sum() for v in values), torch.zeros((), dtype=torch.float64)))
