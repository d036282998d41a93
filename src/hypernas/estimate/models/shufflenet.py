"""ShuffleNetV2 networks of the SPOS channel-shuffle space (:class:`~hypernas.space.ShuffleNetSpace`).

A stem convolution, stages of ShuffleNetV2 units (the first unit of a stage halves the resolution),
a 1x1 head convolution, global pooling and the classifier, with the layout of Single Path One-Shot
NAS (Guo et al. 2020): stage widths 64, 160, 320, 640, stem 16, head 1024 at ImageNet scale. Every
unit is ``edge(op, (in, out), stride)`` of an :class:`~hypernas.estimate.models.ops.EdgeFactory`, so a
single-path supernet reuses the skeleton with a factory over the candidate tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.models.ops import EdgeFactory, SeededDropout
from hypernas.estimate.models.registry import MODELS
from hypernas.space.arch.shuffle import SHUFFLE_BLOCKS, SPOS_DEPTHS, ShuffleNetSpace
from hypernas.validate import check_choice, check_int, check_int_list, check_number, is_integer

SPOS_WIDTHS = (64, 160, 320, 640)
"""Output channels of the four SPOS stages (ImageNet scale)."""


def channel_shuffle(x: torch.Tensor, groups: int = 2) -> torch.Tensor:
    """Interleave the channels of ``groups`` equal groups, so the next unit's split mixes both branches."""
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


def _depthwise(channels: int, kernel: int, stride: int) -> list[nn.Module]:
    """Depthwise convolution and batch norm (linear, as in ShuffleNetV2)."""
    return [nn.Conv2d(channels, channels, kernel, stride, kernel // 2, groups=channels, bias=False),
            nn.BatchNorm2d(channels)]


def _pointwise(c_in: int, c_out: int) -> list[nn.Module]:
    """1x1 convolution, batch norm, ReLU."""
    return [nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class ShuffleUnit(nn.Module):
    """A ShuffleNetV2 unit: two branches concatenated, then the channels shuffled.

    Without ``proj`` (stride 1) the input's channels are split in halves: the first passes unchanged,
    the second goes through ``main``. With ``proj`` (stride 2) both branches see the whole input.
    The shuffle comes after the concatenation, as in the ShuffleNetV2 paper; the SPOS code shuffles at the
    start of the next stride-1 unit instead, which gives the same network up to an order of channels.
    """

    def __init__(self, main: nn.Module, proj: nn.Module | None = None) -> None:
        super().__init__()
        self.main = main
        self.proj = proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.proj is None:
            keep, x = x.chunk(2, dim=1)
        else:
            keep = self.proj(x)
        return channel_shuffle(torch.cat([keep, self.main(x)], dim=1))


def shuffle_unit(block: str, c_in: int, c_out: int, stride: int) -> ShuffleUnit:
    """The choice block ``block`` of :data:`~hypernas.space.arch.shuffle.SHUFFLE_BLOCKS` from ``c_in`` to ``c_out``.

    ``shuffleK``: 1x1, KxK depthwise (carrying the stride), 1x1. ``xception``: three 3x3 depthwise
    convolutions (the first carrying the stride), each followed by a 1x1. The inner width is
    ``c_out // 2`` and a stride-2 unit's projection is a depthwise (KxK, or 3x3 for xception) and a 1x1,
    as in SPOS.
    """
    if stride == 1 and (c_in % 2 or c_out <= c_in // 2):
        raise SpaceError(f"shuffle unit: a stride-1 unit splits its {c_in} input channels in halves and needs an even "
                         f"number of them and more than {c_in // 2} outputs, got {c_out}")
    if stride == 2 and c_out <= c_in:
        raise SpaceError(f"shuffle unit: a stride-2 unit keeps its {c_in} input channels in its projection and needs "
                         f"more outputs than that, got {c_out}")
    kernel = 3 if block == "xception" else int(block.removeprefix("shuffle"))
    c_branch = c_in if stride == 2 else c_in // 2
    mid, c_main = c_out // 2, c_out - c_branch
    if block == "xception":
        main = [*_depthwise(c_branch, 3, stride), *_pointwise(c_branch, mid), *_depthwise(mid, 3, 1),
                *_pointwise(mid, mid), *_depthwise(mid, 3, 1), *_pointwise(mid, c_main)]
    else:
        main = [*_pointwise(c_branch, mid), *_depthwise(mid, kernel, stride), *_pointwise(mid, c_main)]
    proj = nn.Sequential(*_depthwise(c_in, kernel, 2), *_pointwise(c_in, c_in)) if stride == 2 else None
    return ShuffleUnit(nn.Sequential(*main), proj)


def shuffle_edge(op: str, channels: tuple[int, int], stride: int) -> nn.Module:
    """The choice block named ``op`` from ``channels[0]`` to ``channels[1]`` channels: the default edge of
    :class:`ShuffleNetNetwork`."""
    if not isinstance(op, str):
        raise SpaceError(f"shuffle_edge builds one block, got {op!r}; a searchable layer needs a factory "
                         "that mixes its candidates")
    if op not in SHUFFLE_BLOCKS:
        raise SpaceError(f"shuffle_edge: unknown block {op!r}; allowed: {', '.join(SHUFFLE_BLOCKS)}")
    return shuffle_unit(op, channels[0], channels[1], stride)


class ShuffleStage(NamedTuple):
    """One stage of ``channels`` outputs: what sits on each of its layers (a block name, or the tuple of
    candidates of a searchable layer); its first layer halves the resolution."""

    channels: int
    blocks: tuple[Any, ...]


class ShuffleNetNetwork(nn.Module):
    """Stem (3x3 conv, BN, ReLU), the stages, 1x1 head conv, global pooling, dropout, classifier (no bias).

    Every unit is ``edge(op, (in, out), stride)``. ``stem_stride`` 2 is SPOS's ImageNet stem; 1 keeps
    small images (8x8 digits, 28x28 MNIST) large enough for the four halvings of the stages.
    """

    def __init__(self, stages: Sequence[ShuffleStage], num_classes: int = 10, in_channels: int = 3, stem: int = 16,
                 head: int = 1024, stem_stride: int = 1, dropout: float = 0.1, *,
                 edge: EdgeFactory = shuffle_edge) -> None:
        super().__init__()
        owner = "shufflenet network"
        check_int(owner, "stem", stem, 1, error=SpaceError)
        check_int(owner, "head", head, 1, error=SpaceError)
        check_choice(owner, "stem_stride", stem_stride, (1, 2), error=SpaceError)
        check_number(owner, "dropout", dropout, 0, 1, high_open=True, error=SpaceError)
        widths = [stage.channels for stage in stages]
        if not stages or any(not _even_above(w, c) for c, w in zip([stem, *widths], widths)):
            raise SpaceError(f"{owner}: stage widths must be even and each larger than the one before (the stem's "
                             f"{stem} first), got {widths}")
        layers: list[nn.Module] = [nn.Conv2d(in_channels, stem, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(stem),
                                   nn.ReLU()]
        c = stem
        for stage in stages:
            for i, op in enumerate(stage.blocks):
                layers.append(edge(op, (c, stage.channels), 2 if i == 0 else 1))
                c = stage.channels
        layers += [*_pointwise(c, head), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.dropout = SeededDropout(dropout)
        self.classifier = nn.Linear(head, num_classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.features(x)))


def _even_above(width: Any, previous: int) -> bool:
    """Whether a stage width is an even integer above the width before it."""
    return is_integer(width) and width % 2 == 0 and width > previous


def build_shufflenet(blocks: Sequence[str], num_classes: int = 10, in_channels: int = 3,
                     widths: Sequence[int] = SPOS_WIDTHS, stem: int = 16, head: int = 1024, stem_stride: int = 1,
                     dropout: float = 0.1, space: ShuffleNetSpace | None = None) -> ShuffleNetNetwork:
    """The network of a genotype of ``space`` (one block name per layer) with one width per stage.

    Without ``space`` the genotype sits on SPOS's skeleton of 4, 4, 8, 4 layers and may use any block.
    """
    space = space or ShuffleNetSpace.for_genotype(name="blocks")
    if len(widths) != len(space.depths):
        raise SpaceError(f"shufflenet network: {len(widths)} width(s) {list(widths)} for {len(space.depths)} stages "
                         f"(depths {space.depths}); give one width per stage")
    stages = [ShuffleStage(w, tuple(s)) for w, s in zip(widths, space.stages(blocks))]
    return ShuffleNetNetwork(stages, num_classes, in_channels, stem, head, stem_stride, dropout)


@MODELS.register("shufflenet")
def shufflenet_model(input_shape: Sequence[int], num_classes: int, blocks: Sequence[str],
                     depths: Sequence[int] = SPOS_DEPTHS, widths: Sequence[int] = SPOS_WIDTHS, stem: int = 16,
                     head: int = 1024, stem_stride: int = 1, dropout: float = 0.1) -> nn.Module:
    """``model: shufflenet``: the network of the trial's ``blocks`` on stages of ``depths`` layers and ``widths``
    channels (the space's ``depths``: the genotype holds the blocks but not where the stages end)."""
    owner = "model 'shufflenet'"
    depths = check_int_list(owner, "depths", depths, 1, error=SpaceError)
    widths = check_int_list(owner, "widths", widths, 1, error=SpaceError)
    if isinstance(blocks, Sequence) and not isinstance(blocks, str) and len(blocks) != sum(depths):
        raise SpaceError(f"{owner}: the genotype has {len(blocks)} block(s) but the option depths {depths} make "
                         f"{sum(depths)} layers; set depths to the space's depths")
    return build_shufflenet(blocks, num_classes, int(input_shape[0]), widths, stem, head, stem_stride, dropout,
                            ShuffleNetSpace.for_genotype(depths, name="blocks"))
