"""The NAS-Bench-201 network: a stem, three stages of ``cells`` cells, residual reductions between them."""

from __future__ import annotations

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.archnets.ops import make_op
from hypernas.space.arch.nb201 import NB201Cell


class _Cell(nn.Module):
    def __init__(self, space: NB201Cell, genotype: str, c: int) -> None:
        super().__init__()
        self.edges = space.edges
        self.nodes = space.nodes
        self.ops = nn.ModuleList(make_op(op, c, 1) for op in space.to_ops(genotype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = [x]
        k = 0
        for j in range(1, self.nodes):
            states.append(sum(self.ops[k + i](states[i]) for i in range(j)))
            k += j
        return states[-1]


class _ResidualReduce(nn.Module):
    """The ResNet basic block with stride 2 used between NB201 stages."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, 3, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                                  nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class NB201Network(nn.Module):
    """The cell repeated ``cells`` times per stage at widths ``channels``, ``2 channels``, ``4 channels``."""

    def __init__(self, genotype: str, num_classes: int = 10, channels: int = 16, cells: int = 5,
                 in_channels: int = 3, space: NB201Cell | None = None) -> None:
        super().__init__()
        space = space or NB201Cell()
        genotype = space.validate(genotype)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)]
        c = channels
        for stage in range(3):
            if stage:
                layers.append(_ResidualReduce(c, 2 * c))
                c *= 2
            layers.extend(_Cell(space, genotype, c) for _ in range(cells))
        layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_nb201(genotype: str, num_classes: int = 10, channels: int = 16, cells: int = 5,
                in_channels: int = 3) -> NB201Network:
    """A NAS-Bench-201 network for a cell string (the benchmark used ``channels=16, cells=5``)."""
    if cells < 1 or channels < 1:
        raise SpaceError(f"nb201 network: channels and cells must be >= 1, got channels={channels}, cells={cells}")
    return NB201Network(genotype, num_classes, channels, cells, in_channels)
