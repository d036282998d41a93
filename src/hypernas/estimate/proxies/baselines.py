"""The baselines every proxy must beat: the parameter count and the FLOPs of one forward pass."""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.models.measure import count_flops, count_params
from hypernas.estimate.proxies.base import Loss, Proxy


def params(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """The number of trainable parameters."""
    return float(count_params(model))


def flops(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """The FLOPs of one forward pass of one sample of the shape of ``inputs``."""
    return float(count_flops(model, tuple(inputs.shape[1:])))


PARAMS = Proxy(params, "shape", "the number of trainable parameters (baseline)")
FLOPS = Proxy(flops, "shape", "FLOPs of one forward pass (baseline)")
