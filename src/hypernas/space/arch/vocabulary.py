"""The operation names a cell space may put on an edge: exactly those its networks can build.

A space refuses any other name when it is made, so a typo fails once, at the boundary, instead of
in every trial when the network is built. The networks' edge factories build these tables and
nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypernas.errors import SpaceError

CELL_OPS = ("none", "skip_connect", "avg_pool_3x3", "max_pool_3x3",
            "nor_conv_1x1", "nor_conv_3x3", "nor_conv_5x5", "nor_conv_7x7",
            "conv_1x1", "conv_3x3", "conv_5x5", "conv_7x7",
            "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
            "dil_conv_3x3", "dil_conv_5x5")
"""The NAS-Bench-201 and DARTS cell operations: ``none`` (no signal), ``skip_connect``, 3x3 poolings,
ReLU-conv-BN convolutions (``nor_conv``, and ``conv`` its synonym), stacked separable convolutions
(``sep_conv``) and dilated (rate 2) separable convolutions (``dil_conv``)."""


def check_ops(owner: str, ops: Sequence[str], vocabulary: Sequence[str]) -> list[str]:
    """``ops`` as a list, or a :class:`SpaceError` naming ``owner``, the first unknown op and the vocabulary."""
    for op in ops:
        if op not in vocabulary:
            raise SpaceError(f"{owner}: unknown operation {op!r} in ops; allowed: {', '.join(vocabulary)}")
    return list(ops)
