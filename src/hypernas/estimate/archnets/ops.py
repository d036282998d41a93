"""Candidate operations shared by the cell builders (NAS-Bench-201 and DARTS conventions)."""

from __future__ import annotations

import torch
from torch import nn


class Zero(nn.Module):
    """The ``none`` operation: no signal (a missing edge), downsampled when ``stride`` is 2."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride] * 0.0


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, dilation: int = 1) -> None:
        pad = dilation * (kernel - 1) // 2
        super().__init__(nn.ReLU(), nn.Conv2d(c_in, c_out, kernel, stride, pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out))


class DilConv(nn.Sequential):
    """ReLU, depthwise dilated convolution, pointwise convolution, batch norm."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, dilation: int) -> None:
        pad = dilation * (kernel - 1) // 2
        super().__init__(nn.ReLU(), nn.Conv2d(c_in, c_in, kernel, stride, pad, dilation=dilation, groups=c_in, bias=False),
                         nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class SepConv(nn.Sequential):
    """Two stacked depthwise-separable convolutions (the DARTS ``sep_conv``)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__(DilConv(c_in, c_in, kernel, stride, 1), DilConv(c_in, c_out, kernel, 1, 1))


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset strided 1x1 convolutions (the identity of reduction cells)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.a = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.b = nn.Conv2d(c_in, c_out - c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        y = nn.functional.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        return self.bn(torch.cat([self.a(x), self.b(y)], dim=1))


def make_op(name: str, c: int, stride: int) -> nn.Module:
    """The operation ``name`` on ``c`` channels (NAS-Bench-201 and DARTS names)."""
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name in ("avg_pool_3x3", "max_pool_3x3"):
        pool = nn.AvgPool2d(3, stride, 1, count_include_pad=False) if name.startswith("avg") else nn.MaxPool2d(3, stride, 1)
        return pool
    if name.startswith("nor_conv_"):
        k = int(name.rsplit("_", 1)[1].split("x")[0])
        return ReLUConvBN(c, c, k, stride)
    if name.startswith("sep_conv_"):
        return SepConv(c, c, int(name[-1]), stride)
    if name.startswith("dil_conv_"):
        return DilConv(c, c, int(name[-1]), stride, 2)
    if name.startswith("conv_"):  # e.g. conv_3x3
        return ReLUConvBN(c, c, int(name[-1]), stride)
    raise ValueError(f"unknown operation {name!r}")
