"""The incumbent curves of ``hypernas bench nas`` as an image; matplotlib is imported only to draw."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PLOT_TYPES = ("png", "pdf", "svg", "jpg", "jpeg", "webp", "eps", "ps", "tif", "tiff")
"""Image file types the plot can be written as (matplotlib's, without importing it to ask)."""


def plot_curves(results: Sequence[dict[str, Any]], path: str | Path) -> None:
    """Incumbent test accuracy (mean over seeds) against the number of queries, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        curve = np.asarray(r["curve"])
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"{r['strategy']} ({r['mean']:.2f})")
    if results:
        finite = [c for r in results for c in r["curve"] if c == c]
        ax.set_ylim(np.percentile(finite, 20) if finite else None, None)
        ax.set_title(f"NAS-Bench-201 {results[0]['dataset']}: {results[0]['seeds']} seeds")
    ax.set_xlabel("queries")
    ax.set_ylabel("test accuracy of the incumbent (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
