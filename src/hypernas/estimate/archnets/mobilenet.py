"""MobileNetV2 / MnasNet networks from :class:`~hypernas.space.MobileNetSpace` genotypes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError
from hypernas.space.arch.mobilenet import MobileNetSpace


class MixDepthwise(nn.Module):
    """Depthwise convolution with several kernel sizes, each on its share of the channels (MixConv)."""

    def __init__(self, channels: int, kernels: Sequence[int], stride: int) -> None:
        super().__init__()
        kernels = list(kernels)[:channels]
        sizes = [channels // len(kernels)] * len(kernels)
        sizes[0] += channels - sum(sizes)
        self.sizes = sizes
        self.convs = nn.ModuleList(nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False) for c, k in zip(sizes, kernels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, self.sizes, dim=1)
        return torch.cat([conv(p) for conv, p in zip(self.convs, parts)], dim=1)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeezed: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, squeezed, 1), nn.ReLU(),
                                  nn.Conv2d(squeezed, channels, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class InvertedResidual(nn.Module):
    """Expand (1x1), mixed depthwise, optional squeeze-excitation, project (1x1); residual when shapes match."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int, kernels: Sequence[int], se: bool) -> None:
        super().__init__()
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [MixDepthwise(hidden, kernels, stride), nn.BatchNorm2d(hidden), nn.ReLU6()]
        if se:
            layers.append(SqueezeExcite(hidden, max(1, c_in // 4)))
        layers += [nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetNetwork(nn.Module):
    """Stem, the genotype's stages (first block of a stage carries its stride), 1x1 head, pooling, classifier."""

    def __init__(self, genotype: Sequence[dict[str, Any]], num_classes: int = 10, in_channels: int = 3,
                 width: float = 1.0, stem_stride: int = 1, space: MobileNetSpace | None = None) -> None:
        super().__init__()
        space = space or MobileNetSpace()
        genotype = space.validate(genotype)
        scale = lambda c: max(4, int(round(c * width)))  # noqa: E731
        c = scale(32)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, c, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6()]
        for (channels, stride), stage in zip(space.stages, genotype):
            for block in range(stage["depth"]):
                layers.append(InvertedResidual(c, scale(channels), stride if block == 0 else 1, stage["expansion"],
                                               stage["kernel"], stage["se"]))
                c = scale(channels)
        head = scale(1280) if width >= 1 else scale(320)
        layers += [nn.Conv2d(c, head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_mobilenet(genotype: Sequence[dict[str, Any]], num_classes: int = 10, in_channels: int = 3, width: float = 1.0,
                    stem_stride: int = 1, space: MobileNetSpace | None = None) -> MobileNetNetwork:
    """A MobileNetV2/MnasNet-style network; ``width`` scales every layer's channels."""
    if width <= 0 or stem_stride not in (1, 2):
        raise SpaceError(f"mobilenet network: width must be > 0 and stem_stride 1 or 2, got width={width}, stem_stride={stem_stride}")
    return MobileNetNetwork(genotype, num_classes, in_channels, width, stem_stride, space)
