"""A search space seen as a sequence of discrete choices, for sequence controllers (REINFORCE, Q-learning).

Every parameter contributes slots: a :class:`~hypernas.space.Tokenizable` genotype one slot per
token (e.g. one per NB201 edge), any other parameter one slot whose choices are its grid values.
Conditional parameters only take their slots when active, so sequences may differ in length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hypernas.errors import SpaceError, StrategyError
from hypernas.space import Space, Tokenizable, missing_capability


def check_tokens(strategy: str, space: Space, resolution: int) -> None:
    """Refuse a parameter that has neither tokens nor a grid at ``resolution``: :class:`TokenPlan` needs one."""
    for name, p in space.items():
        if isinstance(p, Tokenizable):
            continue
        try:
            p.grid(resolution)
        except SpaceError as exc:
            raise missing_capability(strategy, name, p, Tokenizable, also=f" and a grid ({exc})", error=StrategyError) from None


class TokenPlan:
    """The slots of ``space``: ``slots[i] = (parameter name, position, number of choices)``."""

    def __init__(self, space: Space, resolution: int = 5) -> None:
        self.space = space
        self.slots: list[tuple[str, int, int]] = []
        self.first: dict[str, int] = {}
        self._grids: dict[str, list[Any]] = {}
        for name, p in space.items():
            self.first[name] = len(self.slots)
            if isinstance(p, Tokenizable):
                counts = list(p.token_choices())
            else:
                self._grids[name] = p.grid(resolution)
                counts = [len(self._grids[name])]
            self.slots.extend((name, k, n) for k, n in enumerate(counts))
        self.offsets = np.cumsum([0] + [n for _, _, n in self.slots]).tolist()

    @property
    def vocabulary(self) -> int:
        """Total number of (slot, choice) pairs."""
        return int(self.offsets[-1])

    def generate(self, choose: Callable[[int], int]) -> tuple[dict[str, Any], list[tuple[int, int]]]:
        """Build a configuration by asking ``choose(slot)`` for every active slot in order.

        Returns the configuration and its ``(slot, token)`` sequence.
        """
        params: dict[str, Any] = {}
        seq: list[tuple[int, int]] = []
        for name, p in self.space.items():
            if not self.space.is_active(name, params):
                continue
            start = self.first[name]
            count = len(p.token_choices()) if isinstance(p, Tokenizable) else 1
            tokens = []
            for slot in range(start, start + count):
                t = int(choose(slot))
                tokens.append(t)
                seq.append((slot, t))
            params[name] = p.from_tokens(tokens) if isinstance(p, Tokenizable) else self._grids[name][tokens[0]]
        return params, seq

    def tokens_of(self, params: Mapping[str, Any]) -> list[tuple[int, int]]:
        """The ``(slot, token)`` sequence of a configuration (numbers map to the nearest grid value)."""
        seq: list[tuple[int, int]] = []
        for name, p in self.space.items():
            if name not in params:
                continue
            start = self.first[name]
            if isinstance(p, Tokenizable):
                seq.extend((start + k, int(t)) for k, t in enumerate(p.to_tokens(params[name])))
            else:
                grid = self._grids[name]
                x = np.asarray(p.encode(params[name]))
                t = int(np.argmin([np.abs(np.asarray(p.encode(g)) - x).sum() for g in grid]))
                seq.append((start, t))
        return seq
