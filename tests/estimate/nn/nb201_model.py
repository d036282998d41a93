"""The NAS-Bench-201 network written as a user would, with a LayerChoice over the five operations on every
cell edge (labels ``edge_<i>_<j>``, shared by every cell), for the tests that compare it with the built-in space."""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.models.ops import cell_edge
from hypernas.estimate.nn import LayerChoice
from hypernas.space.arch.nb201 import NB201_OPS


class Cell(nn.Module):
    """Node j sums edge (i, j) of every earlier node i; the output is node 3."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleDict({
            f"{i}_{j}": LayerChoice({op: cell_edge(op, channels, 1) for op in NB201_OPS}, label=f"edge_{i}_{j}")
            for j in range(1, 4) for i in range(j)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(self.edges[f"{i}_{j}"](nodes[i]) for i in range(j)))
        return nodes[-1]


class TinyNB201(nn.Module):
    """A stem, two cells and a classifier (small enough for tests)."""

    def __init__(self, channels: int = 4, num_classes: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        self.cells = nn.Sequential(Cell(channels), Cell(channels))
        self.head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.cells(self.stem(x)))
