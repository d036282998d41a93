"""A chain network built from a list of layer specs: the genotype of layer-by-layer NAS strategies.

A genotype is a JSON list of layers applied in order; a final dense layer with one output per
class is always appended. Every layer is a mapping with a ``type`` and these keys (defaults in
brackets; unknown keys are an error)::

    {"type": "conv", "filters": F, "kernel": [3], "stride": [1], "padding": ["same"], "activation": ["relu"]}
        2-D convolution with F output channels; "same" padding is kernel // 2 (keeps the size at stride 1).
    {"type": "pool", "kind": ["max"] | "avg", "size": [2], "stride": [= size]}
        max or average pooling over size x size windows.
    {"type": "global_pool", "kind": ["avg"] | "max"}
        pools each channel to one number; the result is flat (C,).
    {"type": "dense", "units": U, "activation": ["relu"]}
        fully connected layer; a feature map is flattened first.
    {"type": "dropout", "rate": R}            drops units with probability R in [0, 1).
    {"type": "batchnorm"}                     batch normalization (2-D on feature maps, 1-D on flat features).
    {"type": "activation", "fn": NAME}        a non-linearity on its own.
    {"type": "flatten"}                       flattens a feature map (dense does this by itself).

Activations: relu, leaky_relu, elu, selu, gelu, silu, tanh, sigmoid, or none. Convolution and
pooling need a feature map ``(C, H, W)``: they cannot follow a flat layer, and a genotype that would
shrink the map below 1x1 (e.g. more 2x2 poolings than the image size allows) is rejected with the
index of the layer at fault. Example (a small MetaQNN-style network for 28x28 images)::

    [{"type": "conv", "filters": 32, "kernel": 5}, {"type": "pool"},
     {"type": "conv", "filters": 64}, {"type": "pool"}, {"type": "dense", "units": 128},
     {"type": "dropout", "rate": 0.5}]
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models.ops import SeededDropout
from hypernas.estimate.models.registry import MODELS
from hypernas.validate import check_choice, check_int, check_number

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "selu": nn.SELU, "gelu": nn.GELU,
    "silu": nn.SiLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
}
_NO_ACTIVATION = (None, "none", "linear", "identity")

# layer type -> {key: default}; a default of ... means the key is required
LAYER_KEYS: dict[str, dict[str, Any]] = {
    "conv": {"filters": ..., "kernel": 3, "stride": 1, "padding": "same", "activation": "relu"},
    "pool": {"kind": "max", "size": 2, "stride": None},
    "global_pool": {"kind": "avg"},
    "dense": {"units": ..., "activation": "relu"},
    "dropout": {"rate": ...},
    "batchnorm": {},
    "activation": {"fn": ...},
    "flatten": {},
}


WEIGHTED = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)
"""The modules of a chain network that hold weights: one per conv, dense and batchnorm layer, and the classifier."""


class ChainNet(nn.Sequential):
    """The network of a chain genotype; ``genotype`` keeps the normalized layer list it was built from."""

    def __init__(self, layers: list[nn.Module], genotype: list[dict[str, Any]]) -> None:
        super().__init__(*layers)
        self.genotype = genotype

    def weighted(self) -> list[tuple[str, str, nn.Module]]:
        """``(part, module name, module)`` of each layer with weights, in order: ``"layer 2 conv"`` for the
        genotype's layers, ``"classifier"`` for the output layer."""
        modules = [(name, m) for name, m in self.named_children() if isinstance(m, WEIGHTED)]
        layers = [f"layer {i} {spec['type']}" for i, spec in enumerate(self.genotype)
                  if spec["type"] in ("conv", "dense", "batchnorm")]
        return [(part, name, m) for part, (name, m) in zip([*layers, "classifier"], modules)]

    def sync_genotype(self) -> None:
        """Give the genotype the widths the layers have now (after channel pruning narrowed them)."""
        convs = [m.out_channels for m in self if isinstance(m, nn.Conv2d)]
        denses = [m.out_features for m in self if isinstance(m, nn.Linear)][:-1]
        for spec in self.genotype:
            if spec["type"] == "conv" and convs:
                spec["filters"] = convs.pop(0)
            elif spec["type"] == "dense" and denses:
                spec["units"] = denses.pop(0)


def _where(i: int, layer: Any) -> str:
    return f"chain genotype layer {i} ({json.dumps(layer, default=str)})"


def _activation(where: str, key: str, name: Any) -> nn.Module | None:
    if name in _NO_ACTIVATION:
        return None
    return ACTIVATIONS[check_choice(where, key, name, [*ACTIVATIONS, "none"])]()


def normalize_layer(i: int, layer: Any) -> dict[str, Any]:
    """The layer spec with its defaults filled in; a clear error for an unknown type or key."""
    if not isinstance(layer, Mapping) or "type" not in layer:
        raise ConfigError(f"{_where(i, layer)}: each layer must be a mapping with a 'type'; "
                          f"types: {', '.join(LAYER_KEYS)}")
    kind = check_choice(_where(i, layer), "type", layer["type"], list(LAYER_KEYS))
    allowed = LAYER_KEYS[kind]
    unknown = [k for k in layer if k != "type" and k not in allowed]
    if unknown:
        raise ConfigError(f"{_where(i, layer)}: unknown key {unknown[0]!r} for a {kind} layer; "
                          f"allowed: {', '.join(allowed) or 'none'}")
    out: dict[str, Any] = {"type": kind}
    for key, default in allowed.items():
        if key not in layer and default is ...:
            raise ConfigError(f"{_where(i, layer)}: a {kind} layer needs {key!r}")
        out[key] = layer.get(key, default)
    return out


def build_chain(layers: Sequence[Mapping[str, Any]], input_shape: Sequence[int], num_classes: int) -> ChainNet:
    """Build the network of a chain genotype for samples of ``input_shape`` and ``num_classes`` outputs."""
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
        raise ConfigError(f"a chain genotype must be a list of layer specs, got {layers!r}")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) not in (1, 3):
        raise ConfigError(f"chain networks take samples of shape (C, H, W) or (D,), got {shape}")
    modules: list[nn.Module] = []
    genotype: list[dict[str, Any]] = []
    for i, raw in enumerate(layers):
        spec = normalize_layer(i, raw)
        where = _where(i, raw)
        genotype.append(spec)
        kind = spec["type"]
        flat = len(shape) == 1
        if kind in ("conv", "pool", "global_pool") and flat:
            raise ConfigError(f"{where}: a {kind} layer needs a feature map (C, H, W), but the input "
                              f"is already flat {shape} at this point (after a dense, flatten or global_pool layer, "
                              "or with a dataset of feature vectors)")
        if kind == "conv":
            filters = check_int(where, "filters", spec["filters"], 1)
            k = check_int(where, "kernel", spec["kernel"], 1)
            s = check_int(where, "stride", spec["stride"], 1)
            pad = k // 2 if spec["padding"] == "same" else check_int(where, "padding", spec["padding"], 0)
            h, w = ((d + 2 * pad - k) // s + 1 for d in shape[1:])
            if h < 1 or w < 1:
                raise ConfigError(f"{where}: kernel {k} does not fit the {shape[1]}x{shape[2]} feature map "
                                  f"with padding {pad}")
            modules.append(nn.Conv2d(shape[0], filters, k, s, pad))
            act = _activation(where, "activation", spec["activation"])
            modules.extend([act] if act else [])
            shape = (filters, h, w)
        elif kind == "pool":
            size = check_int(where, "size", spec["size"], 1)
            s = size if spec["stride"] is None else check_int(where, "stride", spec["stride"], 1)
            check_choice(where, "kind", spec["kind"], ("max", "avg"))
            if min(shape[1:]) < size:
                pools_done = sum(1 for g in genotype[:-1] if g["type"] == "pool")
                raise ConfigError(f"{where}: the feature map is {shape[1]}x{shape[2]} after {pools_done} "
                                  f"pooling(s), too small for a {size}x{size} pooling; the input "
                                  f"{input_shape[1]}x{input_shape[2]} allows at most "
                                  f"{int(math.log2(min(input_shape[1:])))} 2x2 poolings")
            modules.append(nn.MaxPool2d(size, s) if spec["kind"] == "max" else nn.AvgPool2d(size, s))
            shape = (shape[0], (shape[1] - size) // s + 1, (shape[2] - size) // s + 1)
        elif kind == "global_pool":
            check_choice(where, "kind", spec["kind"], ("max", "avg"))
            modules.extend([nn.AdaptiveMaxPool2d(1) if spec["kind"] == "max" else nn.AdaptiveAvgPool2d(1),
                            nn.Flatten()])
            shape = (shape[0],)
        elif kind in ("dense", "flatten"):
            if not flat:
                modules.append(nn.Flatten())
                shape = (math.prod(shape),)
            if kind == "dense":
                units = check_int(where, "units", spec["units"], 1)
                modules.append(nn.Linear(shape[0], units))
                act = _activation(where, "activation", spec["activation"])
                modules.extend([act] if act else [])
                shape = (units,)
        elif kind == "dropout":
            modules.append(SeededDropout(check_number(where, "rate", spec["rate"], 0, 1, high_open=True)))
        elif kind == "batchnorm":
            modules.append(nn.BatchNorm1d(shape[0]) if flat else nn.BatchNorm2d(shape[0]))
        elif kind == "activation":
            act = _activation(where, "fn", spec["fn"])
            modules.extend([act] if act else [])
    if len(shape) == 3:
        modules.append(nn.Flatten())
    modules.append(nn.Linear(math.prod(shape), num_classes))
    return ChainNet(modules, genotype)


@MODELS.register("chain")
def chain_model(input_shape: Sequence[int], num_classes: int, *, layers: Sequence[Any] = ()) -> nn.Module:
    """``model: chain``: the network of a list of layer specs (a genotype; see this module's docstring)."""
    return build_chain(layers, input_shape, num_classes)
