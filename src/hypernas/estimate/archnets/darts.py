"""The DARTS network: a stem, ``layers`` cells with reduction cells at 1/3 and 2/3 of the depth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.archnets.ops import FactorizedReduce, ReLUConvBN, make_op
from hypernas.space.arch.darts import DARTSCell


class _Cell(nn.Module):
    def __init__(self, edges: list[list[Any]], steps: int, c_pp: int, c_p: int, c: int, reduction: bool,
                 reduction_prev: bool) -> None:
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1)
        self.pre1 = ReLUConvBN(c_p, c, 1)
        self.steps = steps
        self.inputs = [int(src) for _, src in edges]
        self.ops = nn.ModuleList(make_op(op, c, 2 if reduction and src < 2 else 1) for op, src in edges)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in range(self.steps):
            a, b = 2 * node, 2 * node + 1
            states.append(self.ops[a](states[self.inputs[a]]) + self.ops[b](states[self.inputs[b]]))
        return torch.cat(states[2:], dim=1)


class DARTSNetwork(nn.Module):
    """Cells of width ``channels`` (doubled at each reduction), concatenating their intermediate nodes."""

    def __init__(self, genotype: Mapping[str, Any], num_classes: int = 10, channels: int = 16, layers: int = 8,
                 in_channels: int = 3, space: DARTSCell | None = None) -> None:
        super().__init__()
        space = space or DARTSCell()
        genotype = space.validate(genotype)
        stem = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem))
        c_pp, c_p, c = stem, stem, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = layers >= 3 and i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            cell = _Cell(genotype["reduce" if reduction else "normal"], space.steps, c_pp, c_p, c, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, space.steps * c
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_p, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)


def build_darts(genotype: Mapping[str, Any], num_classes: int = 10, channels: int = 16, layers: int = 8,
                in_channels: int = 3) -> DARTSNetwork:
    """A DARTS network for a genotype of :class:`~hypernas.space.DARTSCell` (the paper used 36 channels, 20 layers)."""
    if layers < 1 or channels < 2:
        raise SpaceError(f"darts network: layers must be >= 1 and channels >= 2, got layers={layers}, channels={channels}")
    return DARTSNetwork(genotype, num_classes, channels, layers, in_channels)
