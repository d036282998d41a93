"""What the proxy tests share: tiny NB201 networks and a seeded batch."""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.models import build_nb201
from hypernas.estimate.proxies import init_params

CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"
OTHER = "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"


def tiny(cell: str = CONV, seed: int = 0) -> nn.Module:
    """A small NB201 network (4 channels, one cell per stage) with weights drawn from ``seed``."""
    return init_params(build_nb201(cell, num_classes=5, channels=4, cells=1), seed)


def batch(n: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random 3x8x8 images and labels in 0..4."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=generator), torch.randint(0, 5, (n,), generator=generator)
