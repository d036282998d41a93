"""``model: cnn``: the course's CNN, as a chain genotype (so it is built and checked like any chain)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models.chain import build_chain
from hypernas.estimate.models.registry import MODELS
from hypernas.validate import check_int, is_integer


def _dense_units(dense: Any) -> list[int]:
    if is_integer(dense):
        return [check_int("model 'cnn'", "dense", dense, 1)]
    if isinstance(dense, (str, bytes)) or not isinstance(dense, Sequence):
        raise ConfigError(f"model 'cnn': dense must be a layer width or a list of them, got {dense!r}")
    return [check_int("model 'cnn'", f"dense[{i}]", units, 1) for i, units in enumerate(dense)]


def cnn_genotype(input_shape: Sequence[int], *, blocks: int = 3, channels: int = 32, convs_per_block: int = 1,
                 dense: Sequence[int] | int = (512, 256), dropout: float = 0.5, batch_norm: bool = False,
                 activation: str = "relu") -> list[dict[str, Any]]:
    """The layer list of :func:`cnn_model`."""
    if len(input_shape) != 3:
        raise ConfigError(f"model 'cnn' needs image samples (C, H, W), got samples of shape {tuple(input_shape)}; "
                          "use model 'mlp' for feature vectors")
    check_int("model 'cnn'", "blocks", blocks, 0)
    check_int("model 'cnn'", "channels", channels, 1)
    check_int("model 'cnn'", "convs_per_block", convs_per_block, 1)
    fits = min(input_shape[1:]).bit_length() - 1
    if blocks > fits:
        raise ConfigError(f"model 'cnn': {blocks} blocks halve the {input_shape[1]}x{input_shape[2]} image {blocks} "
                          f"times, below 1x1; at most {fits} blocks fit")
    layers: list[dict[str, Any]] = []
    for b in range(blocks):
        for _ in range(convs_per_block):
            layers.append({"type": "conv", "filters": channels * 2 ** b, "kernel": 3, "stride": 1, "padding": 1,
                           "activation": activation})
            if batch_norm:
                layers.append({"type": "batchnorm"})
        layers.append({"type": "pool", "kind": "max", "size": 2})
    for units in _dense_units(dense):
        layers.append({"type": "dense", "units": units, "activation": activation})
        if dropout:
            layers.append({"type": "dropout", "rate": dropout})
    return layers


@MODELS.register("cnn")
def cnn_model(input_shape: Sequence[int], num_classes: int, *, blocks: int = 3, channels: int = 32, convs_per_block: int = 1,
        dense: Sequence[int] | int = (512, 256), dropout: float = 0.5, batch_norm: bool = False,
        activation: str = "relu") -> nn.Module:
    """Conv blocks that double the channels (3x3, stride 1, pad 1, then 2x2 max-pool) and a dense head with dropout.

    The defaults are the course's CIFAR-10 network: 32-64-128 channels, dense 512-256-classes, dropout 0.5.
    """
    return build_chain(cnn_genotype(input_shape, blocks=blocks, channels=channels, convs_per_block=convs_per_block,
                                    dense=dense, dropout=dropout, batch_norm=batch_norm, activation=activation),
                       input_shape, num_classes)
