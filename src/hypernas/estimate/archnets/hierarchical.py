"""Networks from :class:`~hypernas.space.HierarchicalSpace` genotypes: the top motif repeated in three stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.archnets.ops import DilConv, SepConv
from hypernas.space.arch.hierarchical import HierarchicalSpace


def _primitive(name: str, c: int) -> nn.Module:
    if name == "identity":
        return nn.Identity()
    if name == "conv_1x1":
        return nn.Sequential(nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
    if name == "conv_3x3":
        return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
    if name == "dw_conv_3x3":
        return DilConv(c, c, 3, 1, 1)
    if name == "sep_conv_3x3":
        return SepConv(c, c, 3, 1)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    raise SpaceError(f"hierarchical network: unknown primitive {name!r}")


class Motif(nn.Module):
    """A DAG: node ``j`` sums its present incoming edges; the output is the last node."""

    def __init__(self, edges: Sequence[tuple[int, int]], modules: Sequence[nn.Module | None], nodes: int) -> None:
        super().__init__()
        self.edges = [e for e, m in zip(edges, modules) if m is not None]
        self.ops = nn.ModuleList(m for m in modules if m is not None)
        self.nodes = nodes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states: dict[int, torch.Tensor] = {0: x}
        for j in range(1, self.nodes):
            inputs = [op(states[i]) for (i, k), op in zip(self.edges, self.ops) if k == j and i in states]
            if inputs:
                states[j] = torch.stack(inputs).sum(0)
        return states[self.nodes - 1]


class HierarchicalNetwork(nn.Module):
    """Stem, ``cells`` top motifs per stage at widths C, 2C, 4C with separable-conv reductions, classifier."""

    def __init__(self, genotype: Mapping[str, Any], num_classes: int = 10, channels: int = 16, cells: int = 1,
                 in_channels: int = 3, space: HierarchicalSpace | None = None) -> None:
        super().__init__()
        space = space or HierarchicalSpace()
        g = space.validate(genotype)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)]
        c = channels
        for stage in range(3):
            if stage:
                layers.append(SepConv(c, 2 * c, 3, 2))
                c *= 2
            for _ in range(cells):
                layers.append(self._top(space, g, c))
        layers += [nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    @staticmethod
    def _top(space: HierarchicalSpace, g: Mapping[str, Any], c: int) -> Motif:
        def level2(m: int) -> Motif:
            ops = [None if op == "none" else _primitive(op, c) for op in g["motifs"][m]]
            return Motif(space.motif_edges, ops, space.motif_nodes)

        return Motif(space.top_edges, [None if t == "none" else level2(t) for t in g["top"]], space.top_nodes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_hierarchical(genotype: Mapping[str, Any], num_classes: int = 10, channels: int = 16, cells: int = 1,
                       in_channels: int = 3, space: HierarchicalSpace | None = None) -> HierarchicalNetwork:
    """A network whose cells are the genotype's top motif (each edge a copy of a level-2 motif)."""
    if channels < 1 or cells < 1:
        raise SpaceError(f"hierarchical network: channels and cells must be >= 1, got channels={channels}, cells={cells}")
    return HierarchicalNetwork(genotype, num_classes, channels, cells, in_channels, space)
