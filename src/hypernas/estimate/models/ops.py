"""The operations on a network's edges, and the default edge factories that build them.

A network skeleton (NB201, DARTS, mobile, hierarchical) never builds the operation on an edge
itself: it asks an :class:`EdgeFactory` ``edge(op, channels, stride)``. ``op`` is what the
genotype puts on the edge (an operation name, a mobile block's settings) or, on a searchable
edge, the tuple of candidates. The discrete networks pass the factories below, which build the
one operation named; a supernet passes a factory that mixes the candidates, and so reuses the
skeleton's stem, reductions and channel bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

import torch
from torch import nn

from hypernas.errors import SpaceError


class EdgeFactory(Protocol):
    """``edge(op, channels, stride) -> module``: the module on one edge of a network skeleton.

    ``op``: the edge's operation, or the tuple of candidate operations of a searchable edge.
    ``channels``: the edge's width (``(in, out)`` for a mobile block, which changes it).
    ``stride``: 2 on an edge that halves the resolution, else 1.
    """

    def __call__(self, op: Any, channels: Any, stride: int) -> nn.Module: ...


class SeededDropout(nn.Dropout):
    """Dropout that draws its masks from ``generator`` when one is set (the Trainer sets its run's own), so a
    trial's training does not depend on other trials drawing from torch's global generator in other threads."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.generator is None or not self.training or self.p == 0:
            return super().forward(x)
        keep = 1.0 - self.p
        if keep == 0:
            return torch.zeros_like(x)
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return x * mask / keep


def dag_edges(n_edges: int) -> list[tuple[int, int]]:
    """The edges ``(0, 1), (0, 2), (1, 2), (0, 3), ...`` of a cell in which every node feeds every later one."""
    edges: list[tuple[int, int]] = []
    j = 1
    while len(edges) < n_edges:
        edges += [(i, j) for i in range(j)]
        j += 1
    if len(edges) != n_edges:
        raise SpaceError(f"{n_edges} edges do not make a cell in which every node feeds every later one "
                         "(1, 3, 6, 10, ... edges)")
    return edges


# --- cell network bodies ----------------------------------------------------------------------

def three_stages(in_channels: int, channels: int, reduce: Callable[[int, int], nn.Module],
                 cells: Callable[[int], list[nn.Module]]) -> tuple[list[nn.Module], int]:
    """The layers of a cell network's body: a 3x3 conv-BN stem to ``channels``, then three stages of
    ``cells(c)`` at c, 2c and 4c channels with ``reduce(c, 2c)`` between them (halving the resolution).

    Returns the layers and the last stage's channels.
    """
    layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)]
    c = channels
    for stage in range(3):
        if stage:
            layers.append(reduce(c, 2 * c))
            c *= 2
        layers.extend(cells(c))
    return layers, c


# --- NAS-Bench-201 and DARTS cell operations ---------------------------------------------------

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
        return self.after_relu(self.relu(x))

    def after_relu(self, x: torch.Tensor) -> torch.Tensor:
        """The reduction of an input already passed through the ReLU (a fused mixed edge shares that ReLU)."""
        y = nn.functional.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        return self.bn(torch.cat([self.a(x), self.b(y)], dim=1))


Build = Callable[[int, int], nn.Module]
"""``build(channels, stride) -> module``: one operation of a vocabulary."""


def _skip(c: int, stride: int) -> nn.Module:
    return nn.Identity() if stride == 1 else FactorizedReduce(c, c)


def _avg_pool(c: int, stride: int) -> nn.Module:
    return nn.AvgPool2d(3, stride, 1, count_include_pad=False)


def _max_pool(c: int, stride: int) -> nn.Module:
    return nn.MaxPool2d(3, stride, 1)


def _conv(k: int) -> Build:
    return lambda c, stride: ReLUConvBN(c, c, k, stride)


def _sep_conv(k: int) -> Build:
    return lambda c, stride: SepConv(c, c, k, stride)


def _dil_conv(k: int) -> Build:
    return lambda c, stride: DilConv(c, c, k, stride, 2)


CELL_BUILDERS: dict[str, Build] = {
    "none": lambda c, stride: Zero(stride),
    "skip_connect": _skip,
    "avg_pool_3x3": _avg_pool,
    "max_pool_3x3": _max_pool,
    **{f"{name}_{k}x{k}": _conv(k) for name in ("nor_conv", "conv") for k in (1, 3, 5, 7)},
    **{f"sep_conv_{k}x{k}": _sep_conv(k) for k in (3, 5, 7)},
    **{f"dil_conv_{k}x{k}": _dil_conv(k) for k in (3, 5)},
}
"""How every operation of :data:`~hypernas.space.arch.vocabulary.CELL_OPS` is built."""


def _build(table: dict[str, Build], what: str, op: Any, channels: int, stride: int) -> nn.Module:
    if not isinstance(op, str):
        raise SpaceError(f"{what} builds one named operation, got {op!r}; a searchable edge needs a factory "
                         "that mixes its candidates")
    if op not in table:
        raise SpaceError(f"{what}: unknown operation {op!r}; allowed: {', '.join(table)}")
    return table[op](channels, stride)


def cell_edge(op: str, channels: int, stride: int) -> nn.Module:
    """The NAS-Bench-201 or DARTS operation named ``op``: the default edge of those cells."""
    return _build(CELL_BUILDERS, "cell_edge", op, channels, stride)


# --- hierarchical motif primitives -------------------------------------------------------------

class ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


MOTIF_BUILDERS: dict[str, Build] = {
    "identity": _skip,
    "conv_1x1": lambda c, stride: ConvBNReLU(c, c, 1, stride),
    "dw_conv_3x3": lambda c, stride: DilConv(c, c, 3, stride, 1),
    "sep_conv_3x3": lambda c, stride: SepConv(c, c, 3, stride),
    "max_pool_3x3": _max_pool,
    "avg_pool_3x3": _avg_pool,
    "conv_3x3": lambda c, stride: ConvBNReLU(c, c, 3, stride),
}
"""How every primitive of :data:`~hypernas.space.arch.hierarchical.HIERARCHICAL_OPS` is built."""


def motif_edge(op: str, channels: int, stride: int) -> nn.Module:
    """The hierarchical primitive named ``op`` (:data:`~hypernas.space.arch.hierarchical.HIERARCHICAL_OPS`)."""
    return _build(MOTIF_BUILDERS, "motif_edge", op, channels, stride)


# --- mobile inverted-residual blocks -----------------------------------------------------------

class MobileBlock(NamedTuple):
    """The settings of one inverted-residual block: the operation on a mobile network's edge."""

    expansion: int
    kernel: tuple[int, ...]
    se: bool


class MixDepthwise(nn.Module):
    """Depthwise convolution with several kernel sizes, each on its share of the channels (MixConv)."""

    def __init__(self, channels: int, kernels: Sequence[int], stride: int) -> None:
        super().__init__()
        kernels = list(kernels)[:channels]
        sizes = [channels // len(kernels)] * len(kernels)
        sizes[0] += channels - sum(sizes)
        self.sizes = sizes
        self.convs = nn.ModuleList(nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False) for c, k in zip(sizes, kernels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, self.sizes, dim=1)
        return torch.cat([conv(p) for conv, p in zip(self.convs, parts)], dim=1)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeezed: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, squeezed, 1), nn.ReLU(),
                                  nn.Conv2d(squeezed, channels, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class InvertedResidual(nn.Module):
    """Expand (1x1), mixed depthwise, optional squeeze-excitation, project (1x1); residual when shapes match."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int, kernels: Sequence[int], se: bool) -> None:
        super().__init__()
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [MixDepthwise(hidden, kernels, stride), nn.BatchNorm2d(hidden), nn.ReLU6()]
        if se:
            layers.append(SqueezeExcite(hidden, max(1, c_in // 4)))
        layers += [nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


def mobile_edge(op: MobileBlock, channels: tuple[int, int], stride: int) -> nn.Module:
    """The inverted-residual block ``op`` from ``channels[0]`` to ``channels[1]`` channels."""
    if not isinstance(op, MobileBlock):
        raise SpaceError(f"mobile_edge builds one block, got {op!r}; a searchable block needs a factory "
                         "that mixes its candidates")
    c_in, c_out = channels
    return InvertedResidual(c_in, c_out, stride, op.expansion, op.kernel, op.se)
