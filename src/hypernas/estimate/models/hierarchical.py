"""Networks from :class:`~hypernas.space.HierarchicalSpace` genotypes: the top motif repeated in three stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.models.ops import EdgeFactory, SepConv, dag_edges, motif_edge, three_stages
from hypernas.estimate.models.registry import MODELS
from hypernas.space.arch.hierarchical import HierarchicalSpace
from hypernas.validate import check_int


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
    """Stem, ``cells`` top motifs per stage at widths C, 2C, 4C with separable-conv reductions, classifier.

    ``motifs`` gives each level-2 motif's edge operations (or tuples of candidates; ``"none"`` is
    no edge) and ``top`` each top-motif edge's level-2 motif index (or ``"none"``), edges in the
    order (0,1), (0,2), (1,2), (0,3), ... Every present primitive edge is ``edge(op, width, 1)``;
    a motif used on several top edges is built once per edge.
    """

    def __init__(self, motifs: Sequence[Sequence[Any]], top: Sequence[int | str], num_classes: int = 10,
                 channels: int = 16, cells: int = 1, in_channels: int = 3, *, edge: EdgeFactory = motif_edge) -> None:
        super().__init__()
        check_int("hierarchical network", "channels", channels, 1, error=SpaceError)
        check_int("hierarchical network", "cells", cells, 1, error=SpaceError)
        layers, c = three_stages(in_channels, channels, lambda c_in, c_out: SepConv(c_in, c_out, 3, 2),
                                 lambda width: [self._top(motifs, top, width, edge) for _ in range(cells)])
        layers += [nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    @staticmethod
    def _top(motifs: Sequence[Sequence[Any]], top: Sequence[int | str], c: int, edge: EdgeFactory) -> Motif:
        def level2(ops: Sequence[Any]) -> Motif:
            edges = dag_edges(len(ops))
            return Motif(edges, [None if op == "none" else edge(op, c, 1) for op in ops], edges[-1][1] + 1)

        top_edges = dag_edges(len(top))
        return Motif(top_edges, [None if t == "none" else level2(motifs[int(t)]) for t in top], top_edges[-1][1] + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_hierarchical(genotype: Mapping[str, Any], num_classes: int = 10, channels: int = 16, cells: int = 1,
                       in_channels: int = 3, space: HierarchicalSpace | None = None) -> HierarchicalNetwork:
    """A network whose cells are the genotype's top motif (each edge a copy of a level-2 motif).

    Without ``space`` the genotype is checked against every primitive, with as many motifs and nodes as it has.
    """
    g = (space or HierarchicalSpace.for_genotype(genotype, name="genotype")).validate(genotype)
    return HierarchicalNetwork(g["motifs"], g["top"], num_classes, channels, cells, in_channels)


@MODELS.register("hierarchical")
def hierarchical_model(input_shape: Sequence[int], num_classes: int, genotype: Mapping[str, Any],
                       n_motifs: int | None = None, motif_nodes: int | None = None, top_nodes: int | None = None,
                       channels: int = 16, cells: int = 1) -> nn.Module:
    """``model: hierarchical``: the network of the trial's ``genotype``, of as many motifs and nodes as it has.

    ``n_motifs``, ``motif_nodes`` and ``top_nodes``, if given, must be the genotype's.
    """
    space = HierarchicalSpace.for_genotype(genotype, name="genotype")
    space.validate(genotype)
    for option, given in (("n_motifs", n_motifs), ("motif_nodes", motif_nodes), ("top_nodes", top_nodes)):
        if given is not None and given != getattr(space, option):
            raise SpaceError(f"model 'hierarchical': option {option}={given!r} contradicts the genotype, whose "
                             f"{option} is {getattr(space, option)}")
    return build_hierarchical(genotype, num_classes, channels, cells, int(input_shape[0]), space)
