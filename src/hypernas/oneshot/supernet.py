"""Supernets: the NB201 and DARTS network skeletons with a mixed operation on every edge.

A :class:`Supernet` owns the architecture parameters: ``alphas[key]``, one ``(edges, candidates)``
tensor per cell type (``cell`` for NB201, ``normal`` and ``reduce`` for DARTS) shared by every cell
of that type, and with edge normalisation ``betas[key]``, one per edge. Its forward pass turns them
into mixing weights (a softmax over each edge's candidates, and over each node's input edges) and
hands them to its edges through their shared :class:`~hypernas.oneshot.mixed.Mixing` holder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.models.darts import DARTSNetwork
from hypernas.estimate.models.nb201 import NB201Network
from hypernas.estimate.train.trainer import seeded
from hypernas.oneshot.mixed import MixedEdges, MixedOp, Mixing, SourceGroup
from hypernas.space.arch.darts import DARTS_OPS, DARTSCell
from hypernas.space.arch.nb201 import NB201_OPS, NB201Cell
from hypernas.validate import check_int

Edge = tuple[int, int]
"""``(input node, node)`` of a cell edge."""


class Supernet(nn.Module):
    """A network skeleton whose edges mix candidate operations, and the architecture parameters that weigh them.

    ``layouts[key]`` lists the edges of a cell of type ``key`` in row order; the skeleton's edges, in the
    order it built them, fill cells of those layouts one after another (``cell_keys`` gives each cell's type).
    """

    def __init__(self, network: nn.Module, space: NB201Cell | DARTSCell, layouts: Mapping[str, Sequence[Edge]],
                 cell_keys: Sequence[str], edges: Sequence[MixedOp], mixing: Mixing, *,
                 edge_normalization: bool = False, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if all(op == "none" for op in space.ops):
            raise SpaceError(f"supernet: the candidates need an operation other than 'none', got {list(space.ops)}")
        self.network = network
        self.space = space
        self.op_names = tuple(space.ops)
        self.layouts = {key: list(edge_list) for key, edge_list in layouts.items()}
        self.mixing = mixing
        n_ops = len(self.op_names)
        self.alphas = nn.ParameterDict({key: nn.Parameter(torch.zeros(len(e), n_ops)) for key, e in self.layouts.items()})
        self.betas = nn.ParameterDict(
            {key: nn.Parameter(torch.zeros(len(e))) for key, e in self.layouts.items()} if edge_normalization else {})
        self.aux_skip = 0.0
        """DARTS- (Chu et al. 2021): the weight of an auxiliary skip connection added to every edge (0: none)."""
        self.reset_arch(generator)
        _bind(edges, self.layouts, cell_keys)

    @property
    def edge_normalization(self) -> bool:
        return len(self.betas) > 0

    @property
    def edge_labels(self) -> dict[str, list[str]]:
        """Each cell type's edges, in row order, as ``"input->node"``."""
        return {key: [f"{i}->{j}" for i, j in edges] for key, edges in self.layouts.items()}

    def reset_arch(self, generator: torch.Generator | None = None) -> None:
        """Architecture parameters drawn anew as in DARTS: 1e-3 times a standard normal."""
        with torch.no_grad():
            for p in self.arch_parameters():
                p.copy_(1e-3 * torch.randn(p.shape, generator=generator, dtype=p.dtype))

    def arch_parameters(self) -> list[nn.Parameter]:
        """The alphas (then the betas of edge normalisation), in a fixed order."""
        return [*self.alphas.values(), *self.betas.values()]

    def named_weight_parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        """The network's own parameters (every parameter but the architecture's), with their names in this module."""
        for name, p in self.network.named_parameters():
            yield f"network.{name}", p

    def weight_parameters(self) -> list[nn.Parameter]:
        return [p for _, p in self.named_weight_parameters()]

    def op_weights(self) -> dict[str, torch.Tensor]:
        """The mixing weight of every candidate on every edge: a softmax of the alphas over each edge's candidates."""
        return {key: torch.softmax(alpha, dim=-1) for key, alpha in self.alphas.items()}

    def edge_weights(self) -> dict[str, torch.Tensor] | None:
        """With edge normalisation, each edge's weight: a softmax of the betas over each node's input edges."""
        if not self.edge_normalization:
            return None
        out = {}
        for key, beta in self.betas.items():
            nodes = [j for _, j in self.layouts[key]]
            parts = []
            for j in sorted(set(nodes)):
                rows = [r for r, n in enumerate(nodes) if n == j]  # a node's edges are consecutive rows
                parts.append(torch.softmax(beta[rows[0]:rows[-1] + 1], dim=0))
            out[key] = torch.cat(parts)
        return out

    def forward(self, x: torch.Tensor, weights: Mapping[str, torch.Tensor] | None = None, *,
                hard: bool = False) -> torch.Tensor:
        """The network's output mixing with ``weights`` (default: :meth:`op_weights`, plus :attr:`aux_skip` on
        every edge's skip connection); ``hard``: ``weights`` are straight-through one-hot weights (GDAS), see
        :mod:`~hypernas.oneshot.mixed`."""
        if weights is None:
            weights = self.op_weights()
            if self.aux_skip:
                weights = _with_aux_skip(weights, self.op_names.index("skip_connect"), self.aux_skip)
        with self.mixing.use(weights, self.edge_weights(), hard=hard):
            return self.network(x)

    # --- reading the architecture -------------------------------------------------------------
    def edge_strength(self) -> dict[str, torch.Tensor]:
        """How strongly each edge holds each candidate: op weights, times the edge's weight under edge normalisation."""
        with torch.no_grad():
            weights = self.op_weights()
            scale = self.edge_weights()
            return {k: w if scale is None else w * scale[k][:, None] for k, w in weights.items()}

    def derive(self) -> Any:
        """The discrete genotype: each edge's strongest operation other than ``none`` (NB201); in a DARTS cell, each
        node keeps the two input edges whose strongest such operation is strongest."""
        strength = {k: v.tolist() for k, v in self.edge_strength().items()}
        real = [k for k, name in enumerate(self.op_names) if name != "none"]

        def best(row: list[float]) -> int:
            return max(real, key=lambda k: row[k])  # first of equals: the earlier candidate

        if isinstance(self.space, NB201Cell):
            return self.space.from_ops([self.op_names[best(row)] for row in strength["cell"]])
        genotype = {}
        for key, rows in strength.items():
            pairs = []
            for j in sorted({node for _, node in self.layouts[key]}):
                edges = [(r, i) for r, (i, node) in enumerate(self.layouts[key]) if node == j]
                top = sorted(edges, key=lambda e: -rows[e[0]][best(rows[e[0]])])[:2]
                pairs += [[self.op_names[best(rows[r])], i] for r, i in top]
            genotype[key] = pairs
        return self.space.validate(genotype)

    def arch_state(self) -> dict[str, Any]:
        """The mixing weights as lists (JSON-able): ``{key: [[w per candidate] per edge]}``, and the edge weights
        under ``edges`` with edge normalisation."""
        with torch.no_grad():
            state: dict[str, Any] = {k: w.tolist() for k, w in self.op_weights().items()}
            scale = self.edge_weights()
            if scale is not None:
                state["edges"] = {k: s.tolist() for k, s in scale.items()}
        return state

    def collapse_signal(self, genotype: Any | None = None) -> dict[str, dict[str, float]]:
        """DARTS's collapse towards skip connections, per cell type: the mean skip weight over edges and the number of
        skips in the derived cell (``genotype``, derived now if not given)."""
        genotype = self.derive() if genotype is None else genotype
        if "skip_connect" not in self.op_names:
            return {"skip_weight": {}, "skips": {}}
        k = self.op_names.index("skip_connect")
        with torch.no_grad():
            weight = {key: float(w[:, k].mean()) for key, w in self.op_weights().items()}
        if isinstance(self.space, NB201Cell):
            ops = {"cell": self.space.to_ops(genotype)}
        else:
            ops = {key: [op for op, _ in pairs] for key, pairs in genotype.items()}
        return {"skip_weight": weight, "skips": {key: o.count("skip_connect") for key, o in ops.items()}}


def _with_aux_skip(weights: Mapping[str, torch.Tensor], skip: int, coefficient: float) -> dict[str, torch.Tensor]:
    """The mixing ``weights`` with ``coefficient`` added to every edge's skip candidate (column ``skip``): each edge
    then computes its mixture plus ``coefficient`` times its skip connection."""
    out = {}
    for key, w in weights.items():
        extra = torch.zeros_like(w)
        extra[:, skip] = coefficient
        out[key] = w + extra
    return out


def _bind(edges: Sequence[MixedOp], layouts: Mapping[str, Sequence[Edge]], cell_keys: Sequence[str]) -> None:
    """Give every edge its cell type and row, and group the edges of each cell that read the same node."""
    expected = sum(len(layouts[key]) for key in cell_keys)
    if expected != len(edges):
        raise SpaceError(f"supernet: the skeleton built {len(edges)} edges, its cells have {expected}")
    start = 0
    for key in cell_keys:
        layout = layouts[key]
        cell = edges[start:start + len(layout)]
        start += len(layout)
        by_source: dict[int, list[int]] = {}
        for row, (i, _) in enumerate(layout):
            by_source.setdefault(i, []).append(row)
        for rows in by_source.values():
            group = SourceGroup([cell[r] for r in rows])
            for r in rows:
                cell[r].bind(key, r, group)


def seeded_build(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    """``build()`` with torch's global generator seeded by ``seed`` (under the process's generator lock, so a
    trial in another thread cannot draw in between) and restored after."""
    with seeded(seed, exclusive=True):
        return build()


def nb201_supernet(ops: Sequence[str] = NB201_OPS, nodes: int = 4, num_classes: int = 10, channels: int = 16,
                   cells: int = 5, in_channels: int = 3, *, fused: bool = True, partial_channels: int = 1,
                   edge_normalization: bool = False, affine: bool = False, seed: int = 0) -> Supernet:
    """The NB201 network with every edge mixing ``ops`` (the NB201 search: ``channels=16, cells=5``).

    ``affine``: learnable batch-norm scales in the candidates (DARTS searches without them).
    ``partial_channels`` and ``edge_normalization``: PC-DARTS (the paper's K is 4).
    """
    space = NB201Cell(ops, nodes, name="supernet cell")
    layout = [(i, j) for j in range(1, nodes) for i in range(j)]
    mixing = Mixing(fused)
    factory = MixedEdges(mixing, partial=partial_channels, affine=affine)
    check_int("nb201 supernet", "cells", cells, 1, error=SpaceError)
    network = seeded_build(seed, lambda: NB201Network([tuple(space.ops)] * len(layout), num_classes, channels, cells,
                                                 in_channels, edge=factory))
    generator = torch.Generator().manual_seed(seed)
    return Supernet(network, space, {"cell": layout}, ["cell"] * (3 * cells), factory.created, mixing,
                    edge_normalization=edge_normalization, generator=generator)


def darts_supernet(ops: Sequence[str] = DARTS_OPS, steps: int = 4, num_classes: int = 10, channels: int = 16,
                   layers: int = 8, in_channels: int = 3, *, fused: bool = True, partial_channels: int = 1,
                   edge_normalization: bool = False, affine: bool = False, seed: int = 0) -> Supernet:
    """The DARTS search network (``channels=16, layers=8`` in the paper): every intermediate node reads every
    earlier node through an edge mixing ``ops``; poolings are followed by a batch norm, as published."""
    space = DARTSCell(ops, steps, name="supernet genotype")
    layout = [(i, j + 2) for j in range(steps) for i in range(j + 2)]
    nodes = [[(tuple(space.ops), i) for i in range(j + 2)] for j in range(steps)]
    mixing = Mixing(fused)
    factory = MixedEdges(mixing, partial=partial_channels, affine=affine, pool_bn=True)
    network = seeded_build(seed, lambda: DARTSNetwork(nodes, nodes, num_classes, channels, layers, in_channels,
                                                 edge=factory))
    per_cell = len(layout)
    keys = ["reduce" if factory.created[c * per_cell].stride == 2 else "normal"
            for c in range(len(factory.created) // per_cell)]
    generator = torch.Generator().manual_seed(seed)
    return Supernet(network, space, {"normal": layout, "reduce": layout}, keys, factory.created, mixing,
                    edge_normalization=edge_normalization, generator=generator)
