"""Augmentation of whole batches of images ``(N, C, H, W)``, seeded and composable.

Random transforms draw from the ``torch.Generator`` they are given, so a seed fixes every crop,
flip and angle; they act only on training batches. :class:`Normalize` is deterministic and is
applied to every split. Build a pipeline from objects or from a config list::

    Augment([RandomCrop(padding=4), HorizontalFlip(), Normalize(mean=[0.5], std=[0.25])])
    make_augment(["hflip", {"type": "crop", "padding": 4}, {"type": "cutout", "size": 8}])
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.registry import Configurable, Registry
from hypernas.validate import check_int, check_number


class Transform(Configurable, ABC):
    """One batch transform. ``random`` transforms run on training batches only.

    A transform keeps each constructor option as an attribute of the same name (its ``to_config``).
    """

    random: ClassVar[bool] = True

    @property
    def owner(self) -> str:
        """How messages about this transform's options name it."""
        return f"augmentation {self.name!r}"

    @abstractmethod
    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """The transformed batch; random draws come from ``generator``."""


TRANSFORMS: Registry[Callable[..., Transform]] = Registry("augmentation")
"""The transforms by the name a config gives them (``hflip``, ``{type: crop, padding: 4}``)."""


def _uniform(n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=generator).to(device)


@TRANSFORMS.register("crop")
class RandomCrop(Transform):
    """Pad by ``padding`` pixels (zeros, or edge reflection) and crop back to the original size at a random offset."""

    def __init__(self, padding: int = 4, reflect: bool = False) -> None:
        self.padding = check_int(self.owner, "padding", padding, 0)
        self.reflect = reflect

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        p = self.padding
        if p == 0:
            return x
        n, c, h, w = x.shape
        padded = F.pad(x, (p, p, p, p), mode="reflect" if self.reflect else "constant")
        oy = torch.randint(0, 2 * p + 1, (n,), generator=generator).to(x.device)
        ox = torch.randint(0, 2 * p + 1, (n,), generator=generator).to(x.device)
        rows = (oy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (ox[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chan = torch.arange(c, device=x.device)[None, :, None, None]
        return padded[batch, chan, rows, cols]


class _Flip(Transform):
    dim: ClassVar[int] = -1

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_number(self.owner, "p", p, 0, 1)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        mask = (_uniform(len(x), generator, x.device) < self.p).view(-1, 1, 1, 1)
        return torch.where(mask, x.flip(self.dim), x)


@TRANSFORMS.register("hflip")
class HorizontalFlip(_Flip):
    """Mirror left-right with probability ``p``."""

    dim = -1


@TRANSFORMS.register("vflip")
class VerticalFlip(_Flip):
    """Mirror top-bottom with probability ``p``."""

    dim = -2


@TRANSFORMS.register("rotate")
class Rotation(Transform):
    """Rotate each image by an angle drawn uniformly from ``[-degrees, degrees]`` (bilinear, zero fill)."""

    def __init__(self, degrees: float = 15.0) -> None:
        self.degrees = check_number(self.owner, "degrees", degrees, 0, 180)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        angle = (_uniform(len(x), generator, x.device) * 2 - 1) * math.radians(self.degrees)
        cos, sin = torch.cos(angle), torch.sin(angle)
        zero = torch.zeros_like(cos)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1).to(x.dtype)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@TRANSFORMS.register("grayscale")
class RandomGrayscale(Transform):
    """Replace a colour image by its luminance (on all three channels) with probability ``p``."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = check_number(self.owner, "p", p, 0, 1)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        mask = (_uniform(len(x), generator, x.device) < self.p).view(-1, 1, 1, 1)
        if x.shape[1] != 3:
            return x
        weights = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        gray = (x * weights).sum(1, keepdim=True).expand_as(x)
        return torch.where(mask, gray, x)


@TRANSFORMS.register("cutout")
class Cutout(Transform):
    """Zero a ``size`` x ``size`` square at a random centre (clipped at the border) with probability ``p``."""

    def __init__(self, size: int = 8, p: float = 1.0) -> None:
        self.size = check_int(self.owner, "size", size, 1)
        self.p = check_number(self.owner, "p", p, 0, 1)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        n, _, h, w = x.shape
        cy = torch.randint(0, h, (n,), generator=generator).to(x.device)
        cx = torch.randint(0, w, (n,), generator=generator).to(x.device)
        apply = (_uniform(n, generator, x.device) < self.p)
        half = self.size // 2
        ys = torch.arange(h, device=x.device)[None, :]
        xs = torch.arange(w, device=x.device)[None, :]
        in_y = (ys >= (cy - half)[:, None]) & (ys < (cy - half + self.size)[:, None])
        in_x = (xs >= (cx - half)[:, None]) & (xs < (cx - half + self.size)[:, None])
        hole = (in_y[:, :, None] & in_x[:, None, :] & apply[:, None, None])[:, None]
        return x.masked_fill(hole, 0.0)


@TRANSFORMS.register("normalize")
class Normalize(Transform):
    """``(x - mean) / std`` per channel; deterministic, so it runs on every split."""

    random = False

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float) -> None:
        self.mean = [float(m) for m in (mean if isinstance(mean, Sequence) else [mean])]
        self.std = [float(s) for s in (std if isinstance(std, Sequence) else [std])]
        if len(self.mean) != len(self.std) or any(s <= 0 for s in self.std):
            raise ConfigError(f"{self.owner}: needs one mean and one std > 0 per channel, got mean={mean!r}, std={std!r}")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        channels = x.shape[1]
        if len(self.mean) not in (1, channels):
            raise ConfigError(f"{self.owner}: has {len(self.mean)} means but the images have {channels} channel(s)")
        shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(shape)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(shape)
        return (x - mean) / std


class Augment:
    """A sequence of transforms; ``augment(x, generator, train=True)`` runs them in order."""

    def __init__(self, transforms: Sequence[Transform] = ()) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None, train: bool = True) -> torch.Tensor:
        for t in self.transforms:
            if t.random and not train:
                continue
            if t.random and x.ndim != 4:
                raise ConfigError(f"augmentation {type(t).__name__} needs images (N, C, H, W), got {tuple(x.shape)}")
            x = t(x, generator)
        return x

    def __bool__(self) -> bool:
        return bool(self.transforms)

    @property
    def has_random(self) -> bool:
        return any(t.random for t in self.transforms)


def make_augment(spec: Augment | Sequence[str | Mapping[str, Any] | Transform] | None) -> Augment:
    """An :class:`Augment` from transforms, names (``"hflip"``) or ``{type: name, **options}`` mappings."""
    if spec is None:
        return Augment()
    if isinstance(spec, Augment):
        return spec
    if isinstance(spec, (str, Mapping)):
        spec = [spec]
    return Augment([item if isinstance(item, Transform) else TRANSFORMS.build(item) for item in spec])
