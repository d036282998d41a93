"""Single-path supernets (SPOS): the discrete networks' skeletons with every searchable layer holding all its
candidates, of which each forward pass runs one.

A genotype of the supernet's space is a path: one candidate per layer (and, in the inverted-residual space, the
layers past a stage's depth skipped). The candidates are the discrete networks' own modules (``cell_edge``, with
its average poolings computed as box-filter convolutions, the same function several times faster on CPU;
``mobile_edge``, ``shuffle_edge``), so a subnet is the discrete network of its genotype, with the supernet's weights.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn

from hypernas.errors import InternalError, SpaceError
from hypernas.estimate.models.mobilenet import MobileNetNetwork, MobileStage
from hypernas.estimate.models.nb201 import NB201Network
from hypernas.estimate.models.ops import EdgeFactory, MobileBlock, mobile_edge
from hypernas.estimate.models.shufflenet import SPOS_WIDTHS, ShuffleNetNetwork, ShuffleStage, shuffle_edge
from hypernas.oneshot.mixed import fast_cell_edge
from hypernas.oneshot.supernet import seeded_build
from hypernas.space.arch.mobilenet import MobileNetSpace
from hypernas.space.arch.nb201 import NB201_OPS, NB201Cell
from hypernas.space.arch.shuffle import ShuffleNetSpace
from hypernas.space.params import Param
from hypernas.validate import check_int

Path = list[int | None]
"""The candidate each layer runs, in the order the skeleton built the layers; ``None`` skips the layer."""
_UNSET = -1


class ChoiceOp(nn.Module):
    """A searchable layer of a single-path supernet: every candidate's module; a forward pass runs the one its
    supernet chose (or passes its input on, where the layer may be skipped)."""

    def __init__(self, candidates: Sequence[Any], modules: Sequence[nn.Module]) -> None:
        super().__init__()
        self.candidates = tuple(candidates)
        self.choices = nn.ModuleList(modules)
        self.chosen: int | None = _UNSET

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.chosen == _UNSET:
            raise InternalError("a single-path layer runs only inside its supernet's forward, which chooses its path")
        return x if self.chosen is None else self.choices[self.chosen](x)


class ChoiceEdges:
    """The edge factory of a single-path supernet: ``edge(candidates, channels, stride)`` builds a :class:`ChoiceOp`
    of ``build(candidate, channels, stride)`` for each candidate, and remembers every layer in the order built."""

    def __init__(self, build: EdgeFactory) -> None:
        self.build = build
        self.created: list[ChoiceOp] = []

    def __call__(self, op: Any, channels: Any, stride: int) -> ChoiceOp:
        if isinstance(op, (str, MobileBlock)) or not isinstance(op, Sequence) or not op:
            raise SpaceError(f"single-path edges: a layer needs a tuple of candidates, got {op!r}")
        layer = ChoiceOp(op, [self.build(candidate, channels, stride) for candidate in op])
        self.created.append(layer)
        return layer


class SinglePathSupernet(nn.Module):
    """A network skeleton whose searchable layers hold every candidate, and the space of its paths.

    ``space`` is the architecture parameter whose genotypes are this supernet's subnets (a study searches them
    with ``Space(arch=supernet.space)``); ``path_of`` turns a (validated) genotype into the :data:`Path` of
    ``layers``.
    """

    def __init__(self, network: nn.Module, space: Param, layers: Sequence[ChoiceOp],
                 path_of: Callable[[Any], Path]) -> None:
        super().__init__()
        self.network = network
        self.space = space
        self.layers = list(layers)
        self._path_of = path_of

    def path(self, genotype: Any) -> Path:
        """The candidate of every layer for ``genotype``; a genotype outside the supernet's space is refused."""
        try:
            valid = self.space.validate(genotype)
        except SpaceError as err:
            raise SpaceError(f"single-path supernet: the subnet is not in the supernet: {err}") from None
        return self._path_of(valid)

    def sample(self, rng: np.random.Generator) -> Any:
        """A genotype drawn uniformly from the supernet's space (SPOS's uniform path sampling)."""
        return self.space.sample(rng)

    @contextmanager
    def choose(self, genotype: Any) -> Iterator[None]:
        """Run ``genotype``'s path inside the block."""
        path = self.path(genotype)
        for layer, chosen in zip(self.layers, path):
            layer.chosen = chosen
        try:
            yield
        finally:
            for layer in self.layers:
                layer.chosen = _UNSET

    def forward(self, x: torch.Tensor, genotype: Any) -> torch.Tensor:
        """The output of the subnet ``genotype``."""
        with self.choose(genotype):
            return self.network(x)

    def subnet(self, genotype: Any) -> nn.Module:
        """The discrete network of ``genotype`` (the skeleton with its own edges) holding copies of the supernet's
        weights: for fine-tuning, or to keep one subnet without the supernet."""
        path = self.path(genotype)
        network, layers = copy.deepcopy((self.network, self.layers))
        chosen = dict(zip(map(id, layers), path))

        def prune(module: nn.Module) -> nn.Module | None:
            if isinstance(module, ChoiceOp):
                k = chosen[id(module)]
                return None if k is None else module.choices[k]
            children = {name: prune(child) for name, child in module.named_children()}
            if isinstance(module, nn.Sequential) and None in children.values():  # skipped layers leave the sequence
                return nn.Sequential(*(child for child in children.values() if child is not None))
            for name, child in children.items():
                setattr(module, name, child)
            return module

        pruned = prune(network)
        if pruned is None:
            raise InternalError("a single-path supernet's network is never a skipped layer")
        return pruned


def nb201_single_path(ops: Sequence[str] = NB201_OPS, nodes: int = 4, num_classes: int = 10, channels: int = 16,
                      cells: int = 5, in_channels: int = 3, *, seed: int = 0) -> SinglePathSupernet:
    """The NB201 network with every cell edge holding each of ``ops``; its subnets are NB201 cell strings."""
    space = NB201Cell(ops, nodes)
    check_int("nb201 single-path supernet", "cells", cells, 1, error=SpaceError)
    factory = ChoiceEdges(fast_cell_edge)
    network = seeded_build(seed, lambda: NB201Network([tuple(space.ops)] * len(space.edges), num_classes, channels, cells,
                                                 in_channels, edge=factory))
    return SinglePathSupernet(network, space, factory.created, partial(_nb201_path, space, len(factory.created)))


def _nb201_path(space: NB201Cell, n_layers: int, cell: str) -> Path:
    """Every cell runs the genotype's operation on its edge."""
    ops = space.to_ops(cell)
    return [space.ops.index(ops[e % len(ops)]) for e in range(n_layers)]


def shufflenet_single_path(space: ShuffleNetSpace | None = None, num_classes: int = 10, in_channels: int = 3,
                           widths: Sequence[int] = SPOS_WIDTHS, stem: int = 16, head: int = 1024,
                           stem_stride: int = 1, dropout: float = 0.1, *, seed: int = 0) -> SinglePathSupernet:
    """SPOS's supernet: the ShuffleNetV2 skeleton of ``space`` (default: 4, 4, 8, 4 layers of 4 choice blocks)
    with ``widths`` channels per stage, every layer holding each of the space's blocks."""
    space = space if space is not None else ShuffleNetSpace()
    if not isinstance(space, ShuffleNetSpace):
        raise SpaceError(f"shufflenet single-path supernet: space must be a ShuffleNetSpace, got {type(space).__name__}")
    if len(widths) != len(space.depths):
        raise SpaceError(f"shufflenet single-path supernet: {len(widths)} width(s) {list(widths)} for "
                         f"{len(space.depths)} stages (depths {space.depths}); give one width per stage")
    factory = ChoiceEdges(shuffle_edge)
    stages = [ShuffleStage(w, (tuple(space.choices),) * depth) for w, depth in zip(widths, space.depths)]
    network = seeded_build(seed, lambda: ShuffleNetNetwork(stages, num_classes, in_channels, stem, head, stem_stride,
                                                      dropout, edge=factory))
    return SinglePathSupernet(network, space, factory.created, partial(_shuffle_path, space))


def _shuffle_path(space: ShuffleNetSpace, blocks: list[str]) -> Path:
    return [space.choices.index(b) for b in blocks]


def mobilenet_single_path(space: MobileNetSpace | None = None, num_classes: int = 10, in_channels: int = 3,
                          width: float = 1.0, stem_stride: int = 1, *, seed: int = 0) -> SinglePathSupernet:
    """The inverted-residual skeleton of ``space`` with as many layers per stage as its largest depth, every layer
    holding each block setting (expansion, kernels, squeeze-excitation) of the space; a subnet runs its stage's
    block on the stage's first ``depth`` layers and skips the others."""
    space = space if space is not None else MobileNetSpace()
    if not isinstance(space, MobileNetSpace):
        raise SpaceError(f"mobilenet single-path supernet: space must be a MobileNetSpace, got {type(space).__name__}")
    choices = space.choices
    blocks = tuple(MobileBlock(e, tuple(k), se) for e in choices["expansion"] for k in choices["kernel"]
                   for se in choices["se"])
    depth = max(choices["depth"])
    factory = ChoiceEdges(mobile_edge)
    stages = [MobileStage(c, s, depth, blocks) for c, s in space.stages]
    network = seeded_build(seed, lambda: MobileNetNetwork(stages, num_classes, in_channels, width, stem_stride,
                                                     edge=factory))
    return SinglePathSupernet(network, space, factory.created, partial(_mobile_path, blocks, depth))


def _mobile_path(blocks: tuple[MobileBlock, ...], depth: int, genotype: list[dict[str, Any]]) -> Path:
    """Each stage runs its block on its first ``stage['depth']`` of ``depth`` layers and skips the others."""
    path: Path = []
    for stage in genotype:
        k = blocks.index(MobileBlock(stage["expansion"], tuple(stage["kernel"]), stage["se"]))
        path += [k if layer < stage["depth"] else None for layer in range(depth)]
    return path
