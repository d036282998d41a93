"""MobileNetV2 / MnasNet inverted-residual stages (Sandler et al. 2018, Tan et al. 2019, MixConv).

The network has a fixed skeleton of stages (output channels and stride per stage); the genotype
chooses, for every stage, the block used throughout it::

    [{"expansion": 6, "kernel": [3, 5], "se": true, "depth": 2}, ...]

``expansion`` is the inverted bottleneck's width factor, ``kernel`` the depthwise kernel sizes
(one size, or several for a MixConv block that splits the channels among them), ``se`` turns
squeeze-and-excitation on, ``depth`` is the number of blocks in the stage.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.arch.token_encoding import TokenOneHot
from hypernas.space.capabilities import Crossable, Growable, HasDistance
from hypernas.space.params import register_param_type
from hypernas.validate import is_integer

DEFAULT_STAGES = ((16, 1), (24, 2), (40, 2), (80, 2), (112, 1), (192, 2))
DEFAULT_KERNELS = ((3,), (5,), (7,), (3, 5), (3, 5, 7))
_FIELDS = ("expansion", "kernel", "se", "depth")


@register_param_type("mobilenet")
class MobileNetSpace(TokenOneHot, Crossable, HasDistance, Growable):
    """Per stage: expansion, (mixed) depthwise kernels, squeeze-excitation and depth."""

    def __init__(self, stages: Sequence[Sequence[int]] = DEFAULT_STAGES, expansions: Sequence[int] = (1, 3, 6),
                 kernels: Sequence[Sequence[int]] = DEFAULT_KERNELS, depths: Sequence[int] = (1, 2, 3, 4),
                 se: Sequence[bool] = (False, True), *, when: Mapping[str, Any] | None = None,
                 name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        try:
            self.stages = [[int(c), int(s)] for c, s in stages]
            self.kernels = [sorted(int(k) for k in ks) for ks in kernels]
        except (TypeError, ValueError):
            raise SpaceError(f"parameter {self.label} (mobilenet): stages must be [channels, stride] pairs and kernels "
                             f"lists of odd sizes, got stages={stages!r}, kernels={kernels!r}") from None
        if not self.stages or any(c < 1 or s not in (1, 2) for c, s in self.stages):
            raise SpaceError(f"parameter {self.label} (mobilenet): every stage needs channels >= 1 and stride 1 or 2, got {stages!r}")
        if not self.kernels or any(not ks or any(k < 1 or k % 2 == 0 for k in ks) for ks in self.kernels):
            raise SpaceError(f"parameter {self.label} (mobilenet): kernels must be non-empty lists of odd sizes, got {kernels!r}")
        self.choices: dict[str, list[Any]] = {"expansion": sorted(set(int(e) for e in expansions)), "kernel": self.kernels,
                                              "se": list(dict.fromkeys(bool(x) for x in se)),
                                              "depth": sorted(set(int(d) for d in depths))}
        for field, values in self.choices.items():
            if not values or (field in ("expansion", "depth") and min(values) < 1):
                raise SpaceError(f"parameter {self.label} (mobilenet): {field} choices must be non-empty (and >= 1), got {values!r}")

    @classmethod
    def for_genotype(cls, value: Any, stages: Sequence[Sequence[int]] = DEFAULT_STAGES, *,
                     name: str | None = None) -> MobileNetSpace:
        """The space on the skeleton ``stages`` whose choices are the genotype ``value``'s own settings.

        What a network builder checks a genotype against: only the skeleton (channels and strides,
        which the genotype does not hold) comes from elsewhere.
        """
        space = cls(stages, name=name)
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) or not all(
                isinstance(stage, Mapping) and set(stage) == set(_FIELDS) for stage in value):
            return space  # its validation says what a genotype needs
        kernels = [stage["kernel"] if isinstance(stage["kernel"], (list, tuple)) else [stage["kernel"]] for stage in value]
        for i, (stage, ks) in enumerate(zip(value, kernels)):
            if not (is_integer(stage["expansion"]) and stage["expansion"] >= 1 and is_integer(stage["depth"])
                    and stage["depth"] >= 1 and isinstance(stage["se"], bool) and ks
                    and all(is_integer(k) and k >= 1 and k % 2 for k in ks)):
                raise SpaceError(f"parameter {space.label}: stage {i} {stage!r} needs an integer expansion and depth >= 1, "
                                 "a list of odd kernel sizes and a boolean se")
        return cls(stages, [stage["expansion"] for stage in value], kernels, [stage["depth"] for stage in value],
                   [stage["se"] for stage in value], name=name)

    def _index(self, field: str, value: Any) -> int:
        try:
            return self.choices[field].index(value)
        except ValueError:
            raise SpaceError(f"parameter {self.label}: {field} {value!r} is not allowed; choices: {self.choices[field]}") from None

    def validate(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) or len(value) != len(self.stages):
            raise SpaceError(f"parameter {self.label}: {value!r} must be a list of {len(self.stages)} stage settings like "
                             '{"expansion": 6, "kernel": [3], "se": false, "depth": 2}')
        out = []
        for i, stage in enumerate(value):
            if not isinstance(stage, Mapping) or set(stage) != set(_FIELDS):
                raise SpaceError(f"parameter {self.label}: stage {i} must have exactly the keys {', '.join(_FIELDS)}, got {stage!r}")
            kernel = sorted(stage["kernel"]) if isinstance(stage["kernel"], (list, tuple)) else [stage["kernel"]]
            clean = {"expansion": stage["expansion"], "kernel": kernel, "se": stage["se"], "depth": stage["depth"]}
            for field in _FIELDS:
                self._index(field, clean[field])
            out.append(clean)
        return out

    @property
    def default(self) -> list[dict[str, Any]]:
        return [{f: self.choices[f][0] for f in _FIELDS} for _ in self.stages]

    @property
    def cardinality(self) -> int:
        per_stage = int(np.prod([len(self.choices[f]) for f in _FIELDS]))
        return per_stage ** len(self.stages)

    def sample(self, rng: np.random.Generator) -> list[dict[str, Any]]:
        return [{f: self.choices[f][int(rng.integers(len(self.choices[f])))] for f in _FIELDS} for _ in self.stages]

    # --- encodings and tokens -----------------------------------------------------------------
    def token_choices(self) -> list[int]:
        return [len(self.choices[f]) for _ in self.stages for f in _FIELDS]

    def to_tokens(self, value: Any) -> list[int]:
        return [self._index(f, stage[f]) for stage in self.validate(value) for f in _FIELDS]

    def from_tokens(self, tokens: Sequence[int]) -> list[dict[str, Any]]:
        it = iter(int(t) for t in tokens)
        return [{f: self.choices[f][next(it)] for f in _FIELDS} for _ in self.stages]


    # --- moves ---------------------------------------------------------------------------------
    def neighbors(self, value: Any) -> list[list[dict[str, Any]]]:
        """Every genotype with one stage field changed."""
        stages = self.validate(value)
        out = []
        for i, stage in enumerate(stages):
            for f in _FIELDS:
                for choice in self.choices[f]:
                    if choice != stage[f]:
                        out.append([dict(s) if j != i else {**s, f: choice} for j, s in enumerate(stages)])
        return out

    def mutate(self, value: Any, rng: np.random.Generator) -> list[dict[str, Any]]:
        near = self.neighbors(value)
        return near[int(rng.integers(len(near)))] if near else self.validate(value)

    def grow(self, value: Any, rng: np.random.Generator) -> list[dict[str, Any]] | None:
        """One more block in a random stage that can take one (a structural mutation)."""
        return self._depth_move(value, rng, +1)

    def shrink(self, value: Any, rng: np.random.Generator) -> list[dict[str, Any]] | None:
        """One block fewer in a random stage that can lose one."""
        return self._depth_move(value, rng, -1)

    def _depth_move(self, value: Any, rng: np.random.Generator, step: int) -> list[dict[str, Any]] | None:
        stages = self.validate(value)
        depths = self.choices["depth"]
        ok = [i for i, s in enumerate(stages) if 0 <= depths.index(s["depth"]) + step < len(depths)]
        if not ok:
            return None
        i = ok[int(rng.integers(len(ok)))]
        stages[i] = {**stages[i], "depth": depths[depths.index(stages[i]["depth"]) + step]}
        return stages

    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> list[dict[str, Any]]:
        """Every stage from one of the parents."""
        a, b = self.validate(a), self.validate(b)
        return [dict(x if rng.random() < 0.5 else y) for x, y in zip(a, b)]

    def distance(self, a: Any, b: Any) -> int:
        a, b = self.validate(a), self.validate(b)
        return sum(x[f] != y[f] for x, y in zip(a, b) for f in _FIELDS)

    def grid(self, resolution: int = 5) -> list[list[dict[str, Any]]]:
        if self.cardinality > 1_000_000:
            raise SpaceError(f"parameter {self.label}: {self.cardinality:.2e} genotypes are too many to enumerate; "
                             "use a sampling strategy")
        per_stage = [dict(zip(_FIELDS, c)) for c in itertools.product(*(self.choices[f] for f in _FIELDS))]
        return [[dict(s) for s in combo] for combo in itertools.product(per_stage, repeat=len(self.stages))]

    def _config_fields(self) -> dict[str, Any]:
        return {"stages": self.stages, "expansions": self.choices["expansion"], "kernels": self.kernels,
                "depths": self.choices["depth"], "se": self.choices["se"]}
