"""Model builders registered by name: small pure functions ``(input_shape, num_classes, **options) -> nn.Module``.

Built-in: ``cnn`` (the course's CNN), ``mlp`` and ``chain`` (a network from a list of layer specs,
see :mod:`hypernas.estimate.train.models.chain`). ``cnn`` and ``mlp`` are themselves chain genotypes,
so every built model reports its genotype and is checked the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.train.models.chain import build_chain

Builder = Callable[..., nn.Module]
MODELS: dict[str, Builder] = {}


def register_model(name: str) -> Callable[[Builder], Builder]:
    """Decorator: make ``builder(input_shape, num_classes, **options)`` available as ``model: name``."""

    def decorate(fn: Builder) -> Builder:
        MODELS[name] = fn
        return fn

    return decorate


def check_model_name(name: str) -> None:
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}")


def model_options(name: str) -> list[str]:
    """The option names the builder ``name`` accepts."""
    check_model_name(name)
    params = list(inspect.signature(MODELS[name]).parameters.values())[2:]
    return [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def build_model(name: str, input_shape: Sequence[int], num_classes: int, **options: Any) -> nn.Module:
    """Build the registered model ``name`` for samples of ``input_shape`` with ``num_classes`` outputs."""
    check_model_name(name)
    unknown = [k for k in options if k not in model_options(name)]
    if unknown:
        raise ConfigError(f"model {name!r} has no option {unknown[0]!r}; options: {', '.join(model_options(name))}")
    return MODELS[name](tuple(input_shape), int(num_classes), **options)


def _dense_units(name: str, dense: Any) -> list[int]:
    units = [dense] if isinstance(dense, int) else list(dense)
    if any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in units):
        raise ConfigError(f"{name} must be a list of layer widths >= 1, got {dense!r}")
    return units


def cnn_genotype(input_shape: Sequence[int], *, blocks: int = 3, channels: int = 32, convs_per_block: int = 1,
                 dense: Sequence[int] | int = (512, 256), dropout: float = 0.5, batch_norm: bool = False,
                 activation: str = "relu") -> list[dict[str, Any]]:
    """The layer list of :func:`cnn`."""
    if len(input_shape) != 3:
        raise ConfigError(f"model 'cnn' needs image samples (C, H, W), got samples of shape {tuple(input_shape)}; "
                          "use model 'mlp' for feature vectors")
    for key, value, low in (("blocks", blocks, 0), ("channels", channels, 1), ("convs_per_block", convs_per_block, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"model 'cnn': {key} must be an integer >= {low}, got {value!r}")
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
    for units in _dense_units("model 'cnn': dense", dense):
        layers.append({"type": "dense", "units": units, "activation": activation})
        if dropout:
            layers.append({"type": "dropout", "rate": dropout})
    return layers


@register_model("cnn")
def cnn(input_shape: Sequence[int], num_classes: int, *, blocks: int = 3, channels: int = 32, convs_per_block: int = 1,
        dense: Sequence[int] | int = (512, 256), dropout: float = 0.5, batch_norm: bool = False,
        activation: str = "relu") -> nn.Module:
    """Conv blocks that double the channels (3x3, stride 1, pad 1, then 2x2 max-pool) and a dense head with dropout.

    The defaults are the course's CIFAR-10 network: 32-64-128 channels, dense 512-256-classes, dropout 0.5.
    """
    return build_chain(cnn_genotype(input_shape, blocks=blocks, channels=channels, convs_per_block=convs_per_block,
                                    dense=dense, dropout=dropout, batch_norm=batch_norm, activation=activation),
                       input_shape, num_classes)


@register_model("mlp")
def mlp(input_shape: Sequence[int], num_classes: int, *, width: int = 128, depth: int = 2, dropout: float = 0.0,
        batch_norm: bool = False, activation: str = "relu") -> nn.Module:
    """``depth`` hidden dense layers of ``width`` units on the flattened input."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ConfigError(f"model 'mlp': depth must be an integer >= 0, got {depth!r}")
    layers: list[dict[str, Any]] = [{"type": "flatten"}]
    for _ in range(depth):
        layers.append({"type": "dense", "units": width, "activation": "none" if batch_norm else activation})
        if batch_norm:
            layers += [{"type": "batchnorm"}, {"type": "activation", "fn": activation}]
        if dropout:
            layers.append({"type": "dropout", "rate": dropout})
    return build_chain(layers, input_shape, num_classes)


@register_model("chain")
def chain(input_shape: Sequence[int], num_classes: int, *, layers: Sequence[Any] = ()) -> nn.Module:
    """A network from a list of layer specs (a genotype); see :mod:`hypernas.estimate.train.models.chain`."""
    return build_chain(layers, input_shape, num_classes)
