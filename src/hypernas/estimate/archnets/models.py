"""The genotype networks as training-objective models: ``model: nb201`` with a ``cell`` parameter, etc.

Each builder takes the registry's ``(input_shape, num_classes)`` and the genotype under the name a
trial parameter can carry: ``cell`` (NB201), ``genotype`` (DARTS, hierarchical), ``stages`` (MobileNet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from hypernas.estimate.archnets.darts import build_darts
from hypernas.estimate.archnets.hierarchical import build_hierarchical
from hypernas.estimate.archnets.mobilenet import build_mobilenet
from hypernas.estimate.archnets.nb201 import build_nb201
from hypernas.estimate.train.models.registry import register_model
from hypernas.space.arch.hierarchical import HierarchicalSpace
from hypernas.space.arch.mobilenet import DEFAULT_STAGES, MobileNetSpace


@register_model("nb201")
def nb201_model(input_shape: Sequence[int], num_classes: int, cell: str, channels: int = 16, cells: int = 5) -> nn.Module:
    return build_nb201(cell, num_classes, channels, cells, in_channels=int(input_shape[0]))


@register_model("darts")
def darts_model(input_shape: Sequence[int], num_classes: int, genotype: Mapping[str, Any], channels: int = 16,
                layers: int = 8) -> nn.Module:
    return build_darts(genotype, num_classes, channels, layers, in_channels=int(input_shape[0]))


@register_model("mobilenet")
def mobilenet_model(input_shape: Sequence[int], num_classes: int, stages: Sequence[Mapping[str, Any]],
                    skeleton: Sequence[Sequence[int]] = DEFAULT_STAGES, width: float = 1.0, stem_stride: int = 1) -> nn.Module:
    space = MobileNetSpace(stages=skeleton)
    return build_mobilenet(list(stages), num_classes, int(input_shape[0]), width, stem_stride, space)


@register_model("hierarchical")
def hierarchical_model(input_shape: Sequence[int], num_classes: int, genotype: Mapping[str, Any], n_motifs: int = 6,
                       motif_nodes: int = 4, top_nodes: int = 5, channels: int = 16, cells: int = 1) -> nn.Module:
    space = HierarchicalSpace(n_motifs=n_motifs, motif_nodes=motif_nodes, top_nodes=top_nodes)
    return build_hierarchical(genotype, num_classes, channels, cells, int(input_shape[0]), space)
