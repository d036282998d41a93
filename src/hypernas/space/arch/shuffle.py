"""The channel-shuffle space of Single Path One-Shot NAS (Guo et al. 2020): ShuffleNetV2 choice blocks.

The network is a fixed skeleton of stages (4, 4, 8 and 4 blocks in SPOS, the first block of each
stage halving the resolution); the genotype chooses the block of every layer, in order::

    ["shuffle3", "shuffle7", "xception", "shuffle5", ...]   # 20 names for the SPOS skeleton

``shuffleK`` is the ShuffleNetV2 unit with a KxK depthwise convolution (K = 3, 5, 7), ``xception``
the unit whose branch is three 3x3 depthwise-separable convolutions. Every unit splits its input
channels, transforms one half (both halves, with a projection, when it halves the resolution),
concatenates and shuffles the channels.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.arch.token_encoding import TokenOneHot
from hypernas.space.capabilities import Crossable, HasDistance
from hypernas.space.params import register_param_type
from hypernas.validate import check_int_list

SHUFFLE_BLOCKS = ("shuffle3", "shuffle5", "shuffle7", "xception")
"""The choice blocks of SPOS, which the ``shufflenet`` network builds."""
SPOS_DEPTHS = (4, 4, 8, 4)
"""Blocks per stage in SPOS: 20 searchable layers."""


@register_param_type("shufflenet")
class ShuffleNetSpace(TokenOneHot, Crossable, HasDistance):
    """One choice block per layer of a fixed skeleton of ``depths`` blocks per stage."""

    def __init__(self, depths: Sequence[int] = SPOS_DEPTHS, choices: Sequence[str] = SHUFFLE_BLOCKS, *,
                 when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        owner = f"parameter {self.label} (shufflenet)"
        self.depths = check_int_list(owner, "depths", depths, 1, error=SpaceError)
        if isinstance(choices, str) or not isinstance(choices, Sequence) or not choices:
            raise SpaceError(f"{owner}: choices must be a non-empty list of block names from "
                             f"{', '.join(SHUFFLE_BLOCKS)}, got {choices!r}")
        unknown = [c for c in choices if c not in SHUFFLE_BLOCKS]
        if unknown:
            raise SpaceError(f"{owner}: unknown block {unknown[0]!r} in choices; allowed: {', '.join(SHUFFLE_BLOCKS)}")
        self.choices = list(choices)
        if len(set(self.choices)) != len(self.choices):
            raise SpaceError(f"{owner}: choices must be distinct block names, got {self.choices!r}")
        self.n_layers = sum(self.depths)
        self._index = {c: i for i, c in enumerate(self.choices)}

    @classmethod
    def for_genotype(cls, depths: Sequence[int] = SPOS_DEPTHS, *, name: str | None = None) -> ShuffleNetSpace:
        """The space of every block on the skeleton ``depths``: what a network builder checks a genotype against."""
        return cls(depths, SHUFFLE_BLOCKS, name=name)

    def stages(self, value: Any) -> list[list[str]]:
        """The genotype's blocks grouped by stage."""
        blocks, out, start = self.validate(value), [], 0
        for depth in self.depths:
            out.append(blocks[start:start + depth])
            start += depth
        return out

    # --- Param protocol ---------------------------------------------------------------------
    def validate(self, value: Any) -> list[str]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) or len(value) != self.n_layers:
            raise SpaceError(f"parameter {self.label}: {value!r} must be a list of {self.n_layers} block names "
                             f"(stages of {', '.join(map(str, self.depths))}) from {', '.join(self.choices)}")
        for i, block in enumerate(value):
            if not isinstance(block, str) or block not in self._index:
                raise SpaceError(f"parameter {self.label}: layer {i} {block!r} is not allowed; "
                                 f"choices: {', '.join(self.choices)}")
        return list(value)

    @property
    def default(self) -> list[str]:
        return [self.choices[0]] * self.n_layers

    @property
    def cardinality(self) -> int:
        return len(self.choices) ** self.n_layers

    def sample(self, rng: np.random.Generator) -> list[str]:
        return [self.choices[int(k)] for k in rng.integers(len(self.choices), size=self.n_layers)]

    def grid(self, resolution: int = 5) -> list[list[str]]:
        """Every genotype, when there are at most a million."""
        if self.cardinality > 1_000_000:
            raise SpaceError(f"parameter {self.label}: {self.cardinality:.2e} genotypes are too many to enumerate; "
                             "use a sampling strategy")
        return [list(combo) for combo in itertools.product(self.choices, repeat=self.n_layers)]

    # --- tokens (one per layer) ------------------------------------------------------------------
    def token_choices(self) -> list[int]:
        return [len(self.choices)] * self.n_layers

    def to_tokens(self, value: Any) -> list[int]:
        return [self._index[b] for b in self.validate(value)]

    def from_tokens(self, tokens: Sequence[int]) -> list[str]:
        return [self.choices[int(t)] for t in tokens]

    # --- moves -------------------------------------------------------------------------------------
    def neighbors(self, value: Any) -> list[list[str]]:
        """Every genotype with one layer's block changed."""
        blocks = self.validate(value)
        return [blocks[:i] + [c] + blocks[i + 1:] for i, b in enumerate(blocks) for c in self.choices if c != b]

    def mutate(self, value: Any, rng: np.random.Generator) -> list[str]:
        """One random layer gets another block."""
        near = self.neighbors(value)
        return near[int(rng.integers(len(near)))] if near else self.validate(value)

    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> list[str]:
        """Uniform crossover: every layer's block from one of the parents (as in SPOS's evolution)."""
        a, b = self.validate(a), self.validate(b)
        return [x if rng.random() < 0.5 else y for x, y in zip(a, b)]

    def distance(self, a: Any, b: Any) -> int:
        """Number of layers whose blocks differ."""
        a, b = self.validate(a), self.validate(b)
        return sum(x != y for x, y in zip(a, b))

    def describe(self, value: Any) -> str:
        """The blocks stage by stage, e.g. ``3 5 7 x | 3 3 5 5 | ...`` (kernel size, or ``x`` for xception)."""
        short = {"xception": "x", **{f"shuffle{k}": str(k) for k in (3, 5, 7)}}
        return " | ".join(" ".join(short[b] for b in stage) for stage in self.stages(value))

    def _config_fields(self) -> dict[str, Any]:
        return {"depths": self.depths, "choices": self.choices}
