"""Chain (MetaQNN) layer sequences of variable depth: convolutions and poolings, then dense layers.

The genotype is a JSON list of layers in the format of the training module's chain builder::

    [{"type": "conv", "filters": 32, "kernel": 3}, {"type": "pool", "size": 2}, {"type": "dense", "units": 64}]

Rules (Baker et al. 2017): between ``min_layers`` and ``max_layers`` layers; convolutions and
poolings work on the feature map and come before any dense layer; at most ``max_dense`` dense
layers; no two poolings in a row; a pooling must fit the current map (an ``input_size`` image
shrinks by the pool size at every pooling; convolutions keep the size). Mutations change one
layer's settings or add or remove a layer (structural moves); the token view gives one slot per
possible layer whose choices are ``stop`` and every layer of the vocabulary, for MetaQNN's
layer-by-layer Q-learning and the REINFORCE controller.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.capabilities import Crossable, Growable, HasDistance, Morphable, Tokenizable
from hypernas.space.params import Param, register_param_type, value_key
from hypernas.validate import check_int, check_int_list

_MAX_GRID = 1_000_000


@register_param_type("chain")
class ChainSpace(Param, Tokenizable, Crossable, HasDistance, Growable, Morphable):
    """Variable-depth layer sequences over a vocabulary of conv, pool and dense layers."""

    def __init__(self, input_size: int = 28, min_layers: int = 1, max_layers: int = 6, filters: Sequence[int] = (16, 32, 64),
                 kernels: Sequence[int] = (1, 3, 5), pool_sizes: Sequence[int] = (2,), units: Sequence[int] = (32, 64, 128),
                 max_dense: int = 2, *, when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        owner = f"parameter {self.label} (chain)"
        self.input_size = check_int(owner, "input_size", input_size, 1, error=SpaceError)
        self.min_layers = check_int(owner, "min_layers", min_layers, 1, error=SpaceError)
        self.max_layers = check_int(owner, "max_layers", max_layers, 1, error=SpaceError)
        self.max_dense = check_int(owner, "max_dense", max_dense, 0, error=SpaceError)
        if min_layers > max_layers:
            raise SpaceError(f"{owner}: min_layers {min_layers} is greater than max_layers {max_layers}")
        self.filters = sorted(set(check_int_list(owner, "filters", filters, 1, error=SpaceError)))
        self.kernels = sorted(set(check_int_list(owner, "kernels", kernels, 1, error=SpaceError)))
        self.pool_sizes = sorted(set(check_int_list(owner, "pool_sizes", pool_sizes, 1, error=SpaceError)))
        self.units = sorted(set(check_int_list(owner, "units", units, 1, error=SpaceError)))
        self.vocabulary: list[dict[str, Any]] = (
            [{"type": "conv", "filters": f, "kernel": k} for f in self.filters for k in self.kernels]
            + [{"type": "pool", "size": s} for s in self.pool_sizes]
            + ([{"type": "dense", "units": u} for u in self.units] if max_dense else []))
        self._index = {self._key(layer): i for i, layer in enumerate(self.vocabulary)}

    @staticmethod
    def _key(layer: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(sorted(layer.items()))

    # --- rules ------------------------------------------------------------------------------
    def _problem(self, layers: Sequence[Mapping[str, Any]], check_depth: bool = True) -> str | None:
        """Why ``layers`` is not a genotype of this space, or ``None``."""
        if check_depth and not self.min_layers <= len(layers) <= self.max_layers:
            return f"has {len(layers)} layer(s); allowed: {self.min_layers} to {self.max_layers}"
        size, dense, prev = self.input_size, 0, None
        for i, layer in enumerate(layers):
            if not isinstance(layer, Mapping) or self._key(layer) not in self._index:
                shown = ", ".join(str(v) for v in self.vocabulary[:4])
                return f"layer {i} {layer!r} is not in the vocabulary (e.g. {shown}, ...)"
            kind = layer["type"]
            if kind == "dense":
                dense += 1
                if dense > self.max_dense:
                    return f"layer {i}: more than {self.max_dense} dense layer(s)"
            elif dense:
                return f"layer {i}: a {kind} layer cannot follow a dense layer"
            elif kind == "pool":
                if prev == "pool":
                    return f"layer {i}: two poolings in a row"
                if size // layer["size"] < 1:
                    return f"layer {i}: pooling by {layer['size']} does not fit a {size}x{size} map"
                size //= layer["size"]
            prev = kind
        return None

    def validate(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise SpaceError(f"parameter {self.label}: {value!r} must be a list of layers such as "
                             f'[{{"type": "conv", "filters": {self.filters[0]}, "kernel": {self.kernels[0]}}}]')
        problem = self._problem(value)
        if problem:
            raise SpaceError(f"parameter {self.label}: the chain {problem}")
        return [dict(layer) for layer in value]

    @property
    def default(self) -> list[dict[str, Any]]:
        return [dict(self.vocabulary[0]) for _ in range(self.min_layers)]

    # --- sampling and moves -------------------------------------------------------------------
    def _allowed_next(self, layers: Sequence[Mapping[str, Any]]) -> list[int]:
        """Vocabulary indices that may be appended to ``layers`` keeping the chain valid (ignoring depth)."""
        return [i for i, layer in enumerate(self.vocabulary) if self._problem(list(layers) + [layer], check_depth=False) is None]

    def sample(self, rng: np.random.Generator) -> list[dict[str, Any]]:
        depth = int(rng.integers(self.min_layers, self.max_layers + 1))
        layers: list[dict[str, Any]] = []
        while len(layers) < depth:
            allowed = self._allowed_next(layers)
            if not allowed:
                break
            layers.append(dict(self.vocabulary[allowed[int(rng.integers(len(allowed)))]]))
        return layers if self._problem(layers) is None else self.default

    def neighbors(self, value: Any) -> list[list[dict[str, Any]]]:
        """Every valid chain one layer change, insertion or removal away."""
        layers = self.validate(value)
        seen = {value_key(layers)}
        out = []
        candidates: list[list[dict[str, Any]]] = []
        for i in range(len(layers)):
            candidates.append(layers[:i] + layers[i + 1:])
            candidates.extend(layers[:i] + [dict(v)] + layers[i + 1:] for v in self.vocabulary)
        for i in range(len(layers) + 1):
            candidates.extend(layers[:i] + [dict(v)] + layers[i:] for v in self.vocabulary)
        for cand in candidates:
            k = value_key(cand)
            if k not in seen and self._problem(cand) is None:
                seen.add(k)
                out.append(cand)
        return out

    def mutate(self, value: Any, rng: np.random.Generator) -> list[dict[str, Any]]:
        near = self.neighbors(value)
        return near[int(rng.integers(len(near)))] if near else self.validate(value)

    def grow(self, value: Any, rng: np.random.Generator) -> list[dict[str, Any]] | None:
        """Insert a layer somewhere (a structural mutation); ``None`` if no insertion is valid."""
        layers = self.validate(value)
        near = [n for n in self.neighbors(layers) if len(n) == len(layers) + 1]
        return near[int(rng.integers(len(near)))] if near else None

    def shrink(self, value: Any, rng: np.random.Generator) -> list[dict[str, Any]] | None:
        """Remove a layer (a structural mutation); ``None`` if no removal is valid."""
        layers = self.validate(value)
        near = [n for n in self.neighbors(layers) if len(n) == len(layers) - 1]
        return near[int(rng.integers(len(near)))] if near else None

    def morphisms(self, value: Any) -> list[tuple[str, list[dict[str, Any]]]]:
        """Function-preserving moves: widen a conv or dense layer (Net2Net), grow an odd conv kernel (zero-padded),
        or insert after a conv or pooling layer a conv with as many filters as its input channels (an identity kernel,
        exact since the ReLU before it left the input non-negative), or after a dense layer a dense of the same
        width (an identity matrix)."""
        layers = self.validate(value)
        out: list[tuple[str, list[dict[str, Any]]]] = []

        def offer(name: str, candidate: list[dict[str, Any]]) -> None:
            if self._problem(candidate) is None:
                out.append((name, candidate))

        def replaced(i: int, **changes: Any) -> list[dict[str, Any]]:
            return layers[:i] + [{**layers[i], **changes}] + layers[i + 1:]

        odd = [k for k in self.kernels if k % 2]
        channels = 0  # input channels of a layer inserted after the current one (0: the image's, not non-negative)
        for i, layer in enumerate(layers):
            kind = layer["type"]
            if kind == "conv":
                channels = layer["filters"]
                offer_after = [{"type": "conv", "filters": channels, "kernel": k} for k in odd]
                for f in (f for f in self.filters if f > layer["filters"]):
                    offer(f"widen layer {i} to {f}", replaced(i, filters=f))
                if layer["kernel"] % 2:
                    for k in (k for k in odd if k > layer["kernel"]):
                        offer(f"kernel {layer['kernel']}->{k} at layer {i}", replaced(i, kernel=k))
            elif kind == "pool":
                offer_after = [{"type": "conv", "filters": channels, "kernel": k} for k in odd] if channels else []
            else:
                offer_after = [{"type": "dense", "units": layer["units"]}]
                for u in (u for u in self.units if u > layer["units"]):
                    offer(f"widen layer {i} to {u}", replaced(i, units=u))
            for new in offer_after:
                what = f"conv {new['kernel']}x{new['kernel']}" if new["type"] == "conv" else f"dense {new['units']}"
                offer(f"deepen after layer {i} with {what}", layers[:i + 1] + [new] + layers[i + 1:])
        return out

    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> list[dict[str, Any]]:
        """One-point crossover: a prefix of one parent and a suffix of the other, if valid (else a parent)."""
        a, b = self.validate(a), self.validate(b)
        options = [a[:i] + b[j:] for i in range(len(a) + 1) for j in range(len(b) + 1)]
        valid = [c for c in options if self._problem(c) is None]
        return valid[int(rng.integers(len(valid)))] if valid else (a if rng.random() < 0.5 else b)

    def distance(self, a: Any, b: Any) -> int:
        """Layers that differ position by position, plus the difference in depth."""
        a, b = self.validate(a), self.validate(b)
        return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))

    def describe(self, value: Any) -> str:
        """The chain as text, e.g. ``conv 32 3x3 > max-pool 2 > dense 64 > classifier``."""
        words = {"conv": lambda x: f"conv {x['filters']} {x['kernel']}x{x['kernel']}",
                 "pool": lambda x: f"max-pool {x['size']}", "dense": lambda x: f"dense {x['units']}"}
        return " > ".join([words[layer["type"]](layer) for layer in self.validate(value)] + ["classifier"])

    # --- encodings and tokens -----------------------------------------------------------------
    @property
    def n_dims(self) -> int:
        return self.max_layers * (len(self.vocabulary) + 1)

    def token_choices(self) -> list[int]:
        """One slot per possible layer: 0 is ``stop``, ``1 + i`` the vocabulary's layer ``i``."""
        return [len(self.vocabulary) + 1] * self.max_layers

    def to_tokens(self, value: Any) -> list[int]:
        layers = self.validate(value)
        return [1 + self._index[self._key(layer)] for layer in layers] + [0] * (self.max_layers - len(layers))

    def from_tokens(self, tokens: Sequence[int]) -> list[dict[str, Any]]:
        """Layers read until ``stop``; layers that would break a rule are skipped, short chains are padded."""
        layers: list[dict[str, Any]] = []
        for t in tokens:
            if int(t) == 0 and len(layers) >= self.min_layers:
                break
            if int(t) == 0 or int(t) - 1 not in self._allowed_next(layers):
                continue
            layers.append(dict(self.vocabulary[int(t) - 1]))
        while len(layers) < self.min_layers:
            layers.append(dict(self.vocabulary[self._allowed_next(layers)[0]]))
        return layers

    def encode(self, value: Any) -> list[float]:
        """One-hot layer (or ``stop``) per position."""
        width = len(self.vocabulary) + 1
        out = [0.0] * self.n_dims
        for pos, t in enumerate(self.to_tokens(value)):
            out[pos * width + t] = 1.0
        return out

    def decode(self, x: Sequence[float]) -> list[dict[str, Any]]:
        arr = np.asarray(x, dtype=float).reshape(self.max_layers, len(self.vocabulary) + 1)
        return self.from_tokens([int(k) for k in arr.argmax(axis=1)])

    @property
    def cardinality(self) -> int | None:
        return None

    def grid(self, resolution: int = 5) -> list[list[dict[str, Any]]]:
        """Every valid chain (when there are at most a million candidate sequences)."""
        total = sum(len(self.vocabulary) ** d for d in range(self.min_layers, self.max_layers + 1))
        if total > _MAX_GRID:
            raise SpaceError(f"parameter {self.label}: {total:,} layer sequences are too many to enumerate "
                             f"(limit {_MAX_GRID:,}); use a sampling strategy")
        out = []
        for depth in range(self.min_layers, self.max_layers + 1):
            for combo in itertools.product(self.vocabulary, repeat=depth):
                if self._problem(combo) is None:
                    out.append([dict(layer) for layer in combo])
        return out

    def _config_fields(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "min_layers": self.min_layers, "max_layers": self.max_layers,
                "filters": self.filters, "kernels": self.kernels, "pool_sizes": self.pool_sizes, "units": self.units,
                "max_dense": self.max_dense}

