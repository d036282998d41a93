"""One-hot encoding of a genotype through its token view (``to_tokens``, ``token_choices``, ``from_tokens``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hypernas.space.capabilities import Tokenizable
from hypernas.space.params import Param


class TokenOneHot(Param, Tokenizable):
    """Base of a tokenizable architecture space: ``n_dims``, ``encode`` and ``decode`` as one one-hot
    block per token position (the space defines ``token_choices``, ``to_tokens`` and ``from_tokens``).
    """

    @property
    def n_dims(self) -> int:
        return sum(self.token_choices())

    def encode(self, value: Any) -> list[float]:
        """One block per token position, with a 1 at the chosen token."""
        out: list[float] = []
        for t, n in zip(self.to_tokens(value), self.token_choices()):
            out.extend(1.0 if k == t else 0.0 for k in range(n))
        return out

    def decode(self, x: Sequence[float]) -> Any:
        """The genotype whose tokens are the largest entries of each block."""
        arr, tokens, pos = np.asarray(x, dtype=float), [], 0
        for n in self.token_choices():
            tokens.append(int(np.argmax(arr[pos:pos + n])))
            pos += n
        return self.from_tokens(tokens)
