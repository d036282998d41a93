"""Model builders by name: small functions ``(input_shape, num_classes, **options) -> nn.Module``.

Each network registers its builder in the module that defines it, with ``@MODELS.register(name)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from hypernas.registry import Registry

Builder = Callable[..., nn.Module]
MODELS: Registry[Builder] = Registry("model", skip=2)


def build_model(name: str, input_shape: Sequence[int], num_classes: int, **options: Any) -> nn.Module:
    """Build the registered model ``name`` for samples of ``input_shape`` with ``num_classes`` outputs."""
    return MODELS.build(name, tuple(input_shape), int(num_classes), **options)
