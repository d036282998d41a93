"""``model: mlp``: dense layers on the flattened input, as a chain genotype."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from hypernas.estimate.models.chain import build_chain
from hypernas.estimate.models.registry import MODELS
from hypernas.validate import check_int


@MODELS.register("mlp")
def mlp_model(input_shape: Sequence[int], num_classes: int, *, width: int = 128, depth: int = 2, dropout: float = 0.0,
        batch_norm: bool = False, activation: str = "relu") -> nn.Module:
    """``depth`` hidden dense layers of ``width`` units on the flattened input."""
    check_int("model 'mlp'", "depth", depth, 0)
    layers: list[dict[str, Any]] = [{"type": "flatten"}]
    for _ in range(depth):
        layers.append({"type": "dense", "units": width, "activation": "none" if batch_norm else activation})
        if batch_norm:
            layers += [{"type": "batchnorm"}, {"type": "activation", "fn": activation}]
        if dropout:
            layers.append({"type": "dropout", "rate": dropout})
    return build_chain(layers, input_shape, num_classes)
