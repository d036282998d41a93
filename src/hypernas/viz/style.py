"""Colours shared by every plot: one per trial state, a palette for series, the colour scales."""

from __future__ import annotations

from hypernas.record import TrialState

STATE_COLORS = {TrialState.COMPLETE: "#1f77b4", TrialState.PRUNED: "#ff7f0e", TrialState.FAILED: "#d62728",
                TrialState.RUNNING: "#2ca02c", TrialState.WAITING: "#7f7f7f"}
BEST_COLOR = "#e45756"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
VALUE_SCALE = "Viridis"
"""Colour scale of objective values (bright is high)."""
ORDER_SCALE = "Blues"
"""Colour scale of trial numbers (dark is late)."""


def rgba(color: str, alpha: float) -> str:
    """A ``#rrggbb`` colour with transparency, as plotly and the matplotlib renderer read it."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
