"""The NAS-Bench-201 network: a stem, three stages of ``cells`` cells, residual reductions between them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.models.ops import EdgeFactory, cell_edge, dag_edges, three_stages
from hypernas.estimate.models.registry import MODELS
from hypernas.space.arch.nb201 import NB201Cell
from hypernas.validate import check_int


class _Cell(nn.Module):
    """Every node sums one edge from each earlier node; the output is the last node."""

    def __init__(self, ops: Sequence[Any], channels: int, edge: EdgeFactory) -> None:
        super().__init__()
        self.nodes = dag_edges(len(ops))[-1][1] + 1
        self.ops = nn.ModuleList(edge(op, channels, 1) for op in ops)

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
    """The cell repeated ``cells`` times per stage at widths ``channels``, ``2 channels``, ``4 channels``.

    ``cell`` holds what sits on each cell edge, in the order (0,1), (0,2), (1,2), (0,3), ...: an
    operation name, or the tuple of candidates of a searchable edge; every edge of every cell is
    ``edge(cell[k], width, 1)``.
    """

    def __init__(self, cell: Sequence[Any], num_classes: int = 10, channels: int = 16, cells: int = 5,
                 in_channels: int = 3, *, edge: EdgeFactory = cell_edge) -> None:
        super().__init__()
        check_int("nb201 network", "channels", channels, 1, error=SpaceError)
        check_int("nb201 network", "cells", cells, 1, error=SpaceError)
        layers, c = three_stages(in_channels, channels, _ResidualReduce,
                                 lambda width: [_Cell(cell, width, edge) for _ in range(cells)])
        layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_nb201(genotype: str, num_classes: int = 10, channels: int = 16, cells: int = 5,
                in_channels: int = 3, space: NB201Cell | None = None) -> NB201Network:
    """A NAS-Bench-201 network for a cell string (the benchmark used ``channels=16, cells=5``).

    Without ``space`` the cell is checked against every cell operation, with as many nodes as it has.
    """
    space = space or NB201Cell.for_genotype(genotype, name="cell")
    return NB201Network(space.to_ops(space.validate(genotype)), num_classes, channels, cells, in_channels)


@MODELS.register("nb201")
def nb201_model(input_shape: Sequence[int], num_classes: int, cell: str, channels: int = 16, cells: int = 5) -> nn.Module:
    """``model: nb201``: the network of the trial's ``cell`` string (any number of nodes)."""
    return build_nb201(cell, num_classes, channels, cells, in_channels=int(input_shape[0]))
