"""MobileNetV2 / MnasNet networks from :class:`~hypernas.space.MobileNetSpace` genotypes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.models.ops import EdgeFactory, MobileBlock, mobile_edge
from hypernas.estimate.models.registry import MODELS
from hypernas.space.arch.mobilenet import DEFAULT_STAGES, MobileNetSpace
from hypernas.validate import check_choice, check_number


class MobileStage(NamedTuple):
    """One stage: ``depth`` blocks of ``channels`` outputs, the first with ``stride``; ``block`` is the
    :class:`~hypernas.estimate.models.ops.MobileBlock` used throughout it, or the tuple of candidates."""

    channels: int
    stride: int
    depth: int
    block: Any


class MobileNetNetwork(nn.Module):
    """Stem, the stages (first block of a stage carries its stride), 1x1 head, pooling, classifier.

    Every block is ``edge(stage.block, (in, out), stride)``; ``width`` scales every layer's channels.
    """

    def __init__(self, stages: Sequence[MobileStage], num_classes: int = 10, in_channels: int = 3,
                 width: float = 1.0, stem_stride: int = 1, *, edge: EdgeFactory = mobile_edge) -> None:
        super().__init__()
        check_number("mobilenet network", "width", width, 0, low_open=True, error=SpaceError)
        check_choice("mobilenet network", "stem_stride", stem_stride, (1, 2), error=SpaceError)
        scale = lambda c: max(4, round(c * width))  # noqa: E731
        c = scale(32)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, c, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6()]
        for stage in stages:
            for block in range(stage.depth):
                layers.append(edge(stage.block, (c, scale(stage.channels)), stage.stride if block == 0 else 1))
                c = scale(stage.channels)
        head = scale(1280) if width >= 1 else scale(320)
        layers += [nn.Conv2d(c, head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_mobilenet(genotype: Sequence[Mapping[str, Any]], num_classes: int = 10, in_channels: int = 3,
                    width: float = 1.0, stem_stride: int = 1, space: MobileNetSpace | None = None) -> MobileNetNetwork:
    """A MobileNetV2/MnasNet-style network for a genotype of ``space`` (one block setting per stage).

    Without ``space`` the genotype's stages sit on the default skeleton and may take any block settings.
    """
    space = space or MobileNetSpace.for_genotype(genotype, name="stages")
    stages = [MobileStage(c, s, g["depth"], MobileBlock(g["expansion"], tuple(g["kernel"]), g["se"]))
              for (c, s), g in zip(space.stages, space.validate(genotype))]
    return MobileNetNetwork(stages, num_classes, in_channels, width, stem_stride)


@MODELS.register("mobilenet")
def mobilenet_model(input_shape: Sequence[int], num_classes: int, stages: Sequence[Mapping[str, Any]],
                    skeleton: Sequence[Sequence[int]] = DEFAULT_STAGES, width: float = 1.0, stem_stride: int = 1) -> nn.Module:
    """``model: mobilenet``: the network of the trial's ``stages`` on the ``skeleton`` of (channels, stride) stages.

    The genotype holds each stage's block settings but not its channels and stride: ``skeleton`` gives
    them, one pair per stage of the genotype (the space's ``stages``).
    """
    if isinstance(stages, Sequence) and not isinstance(stages, str) and isinstance(skeleton, Sequence) \
            and len(stages) != len(skeleton):
        raise SpaceError(f"model 'mobilenet': the genotype has {len(stages)} stage(s) but the option skeleton has "
                         f"{len(skeleton)} ({list(skeleton)!r}); set skeleton to the space's stages")
    return build_mobilenet(list(stages), num_classes, int(input_shape[0]), width, stem_stride,
                           MobileNetSpace.for_genotype(stages, skeleton, name="stages"))
