"""Architecture drawings as SVG, by our own code: cells as DAGs with their operations on the edges
(NAS-Bench-201, DARTS normal and reduction cells, hierarchical motifs), chain networks layer by layer
with their shapes, inverted-residual stages block by block."""

from __future__ import annotations

from typing import Any

from hypernas.errors import PlotError
from hypernas.space import Param
from hypernas.viz.arch import cells, stacks  # noqa: F401  (importing them registers their drawings)
from hypernas.viz.arch.registry import DRAWINGS


def can_draw(param: Param) -> bool:
    """Whether there is a drawing for ``param``'s type."""
    return param.type_name in DRAWINGS


def draw_architecture(param: Param, value: Any) -> str:
    """``value`` (a genotype of the architecture space ``param``) drawn as a standalone SVG document.

    A value that is not a genotype of ``param`` raises :class:`~hypernas.errors.SpaceError`; a space
    without a drawing raises :class:`~hypernas.errors.PlotError`.
    """
    if not can_draw(param):
        raise PlotError(f"parameter {param.label} ({param.type_name or type(param).__name__}) has no drawing; "
                        f"drawings exist for {', '.join(DRAWINGS.names())}")
    return DRAWINGS.get(param.type_name)(param, value).svg(title=f"{param.name or 'architecture'}: {param.describe(value)}"[:300])


__all__ = ["DRAWINGS", "can_draw", "draw_architecture"]
