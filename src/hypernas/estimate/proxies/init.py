"""Fresh weights drawn from a ``torch.Generator``: a network's proxy score depends on its seed only."""

from __future__ import annotations

import math

import torch
from torch import nn


def init_params(model: nn.Module, seed: int) -> nn.Module:
    """Redraw every parameter of ``model`` (in place) as PyTorch initialises it, from a generator seeded ``seed``.

    Convolution and linear weights: Kaiming-uniform with ``a = sqrt(5)``, biases uniform in
    ``+-1 / sqrt(fan_in)``, like PyTorch's defaults; normalisation layers get unit scales, zero shifts
    and fresh running statistics. Any other parameter is drawn like a linear layer's (matrices) or bias
    (vectors), so nothing depends on torch's global generator.
    """
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._NormBase | nn.LayerNorm | nn.GroupNorm):
                module.reset_parameters()
                continue
            for name, param in module.named_parameters(recurse=False):
                _redraw(param, generator, _fan_in(module, name, param))
    return model


def _fan_in(module: nn.Module, name: str, param: torch.Tensor) -> int:
    weight = getattr(module, "weight", None)
    if name == "bias" and isinstance(weight, torch.Tensor) and weight.ndim >= 2:
        return int(weight[0].numel())
    return int(param[0].numel()) if param.ndim >= 2 else int(param.numel())


def _redraw(param: torch.Tensor, generator: torch.Generator, fan_in: int) -> None:
    # kaiming_uniform_(a=sqrt(5)) and PyTorch's bias rule both give the bound 1 / sqrt(fan_in)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    fresh = torch.rand(param.shape, generator=generator, dtype=param.dtype) * (2 * bound) - bound
    param.copy_(fresh.to(param.device))
