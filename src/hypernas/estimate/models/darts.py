"""The DARTS network: a stem, ``layers`` cells with reduction cells at 1/3 and 2/3 of the depth."""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.models.ops import EdgeFactory, FactorizedReduce, ReLUConvBN, cell_edge
from hypernas.estimate.models.registry import MODELS
from hypernas.space.arch.darts import DARTSCell
from hypernas.validate import check_int

Node = Sequence[tuple[Any, int]]
"""The input edges of one intermediate node: ``(operation or candidates, input state)`` pairs."""


class _Cell(nn.Module):
    """States 0 and 1 are the two previous cells' outputs; node ``k`` (state ``k + 2``) sums its input edges."""

    def __init__(self, nodes: Sequence[Node], c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool,
                 edge: EdgeFactory) -> None:
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1)
        self.pre1 = ReLUConvBN(c_p, c, 1)
        self.fan_in = [len(node) for node in nodes]
        self.inputs = [int(src) for node in nodes for _, src in node]
        self.ops = nn.ModuleList(edge(op, c, 2 if reduction and src < 2 else 1) for node in nodes for op, src in node)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        k = 0
        for n in self.fan_in:
            states.append(functools.reduce(operator.add, (self.ops[e](states[self.inputs[e]]) for e in range(k, k + n))))
            k += n
        return torch.cat(states[2:], dim=1)


class DARTSNetwork(nn.Module):
    """Cells of width ``channels`` (doubled at each reduction), concatenating their intermediate nodes.

    ``normal`` and ``reduce`` list each cell type's intermediate nodes, each with its input edges
    ``(op, input)``; every edge's module is ``edge(op, width, stride)``, stride 2 on the edges of a
    reduction cell that read the previous cells.
    """

    def __init__(self, normal: Sequence[Node], reduce: Sequence[Node], num_classes: int = 10, channels: int = 16,
                 layers: int = 8, in_channels: int = 3, *, edge: EdgeFactory = cell_edge) -> None:
        super().__init__()
        check_int("darts network", "layers", layers, 1, error=SpaceError)
        check_int("darts network", "channels", channels, 2, error=SpaceError)
        if len(normal) != len(reduce):
            raise SpaceError(f"darts network: the normal and reduction cells need as many nodes, got {len(normal)} "
                             f"and {len(reduce)}")
        stem = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem))
        c_pp, c_p, c = stem, stem, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = layers >= 3 and i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            self.cells.append(_Cell(reduce if reduction else normal, c_pp, c_p, c, reduction, reduction_prev, edge))
            reduction_prev = reduction
            c_pp, c_p = c_p, len(normal) * c
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_p, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)


def build_darts(genotype: Mapping[str, Any], num_classes: int = 10, channels: int = 16, layers: int = 8,
                in_channels: int = 3, space: DARTSCell | None = None) -> DARTSNetwork:
    """A DARTS network for a genotype of :class:`~hypernas.space.DARTSCell` (the paper used 36 channels, 20 layers).

    Without ``space`` the genotype is checked against every cell operation, with as many steps as it has nodes.
    """
    space = space or DARTSCell.for_genotype(genotype, name="genotype")
    genotype = space.validate(genotype)

    def nodes(edges: Sequence[Sequence[Any]]) -> list[Node]:
        return [[(op, int(src)) for op, src in edges[2 * k:2 * k + 2]] for k in range(space.steps)]

    return DARTSNetwork(nodes(genotype["normal"]), nodes(genotype["reduce"]), num_classes, channels, layers,
                        in_channels)


@MODELS.register("darts")
def darts_model(input_shape: Sequence[int], num_classes: int, genotype: Mapping[str, Any], channels: int = 16,
                layers: int = 8) -> nn.Module:
    """``model: darts``: the network of the trial's ``genotype`` (normal and reduction cells of any number of steps)."""
    return build_darts(genotype, num_classes, channels, layers, in_channels=int(input_shape[0]))
