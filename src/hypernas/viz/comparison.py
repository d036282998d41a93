"""Strategy comparison from ``hypernas bench nas --json``: the incumbent's quality against the number of
evaluations, the mean over seeds with a band of one standard deviation."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.viz.style import PALETTE, rgba

if TYPE_CHECKING:
    import plotly.graph_objects as go


def read_results(source: str | Path | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The per-strategy results of ``hypernas bench nas``, from its JSON file or as loaded."""
    if isinstance(source, (str, Path)):
        try:
            data = json.loads(Path(source).read_text())
        except (OSError, ValueError) as exc:
            raise PlotError(f"cannot read benchmark results from {str(source)!r}: {exc}") from None
    else:
        data = source
    if not isinstance(data, list) or not data or not all(isinstance(r, Mapping) for r in data):
        raise PlotError("benchmark results must be the non-empty list of strategies that hypernas bench nas --json writes")
    for r in data:
        curves = r.get("curves")
        if not isinstance(curves, list) or not curves or not all(isinstance(c, list) and c for c in curves):
            raise PlotError(f"benchmark result {r.get('strategy', '?')!r} has no per-seed incumbent curves ('curves'); "
                            "write it with hypernas bench nas --json of this version")
    return list(data)


def plot_strategy_comparison(results: str | Path | Sequence[Mapping[str, Any]]) -> go.Figure:
    """One line per strategy: the incumbent's quality after each evaluation, mean over seeds, with a band of
    plus or minus one standard deviation. The y axis starts at the lowest mean's 20th percentile, where the
    strategies differ."""
    import numpy as np
    import plotly.graph_objects as go

    data = read_results(results)
    fig = go.Figure()
    means = []
    for i, r in enumerate(data):
        curves = np.array([[np.nan if v is None else v for v in c] for c in r["curves"]], dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a query before any result: NaN in every seed
            mean, std = np.nanmean(curves, axis=0), np.nanstd(curves, axis=0)
        means.append(mean)
        x = list(range(1, len(mean) + 1))
        color = PALETTE[i % len(PALETTE)]
        name = f"{r['strategy']} ({mean[-1]:.2f})" if np.isfinite(mean[-1]) else str(r["strategy"])
        fig.add_scatter(x=x, y=_plain(mean + std), mode="lines", line={"width": 0, "color": color}, showlegend=False,
                        hoverinfo="skip", legendgroup=name)
        fig.add_scatter(x=x, y=_plain(mean - std), mode="lines", line={"width": 0, "color": color}, fill="tonexty",
                        fillcolor=rgba(color, 0.2), showlegend=False, hoverinfo="skip", legendgroup=name)
        fig.add_scatter(x=x, y=_plain(mean), mode="lines", name=name, line={"color": color}, legendgroup=name,
                        hovertemplate=f"{r['strategy']}<br>%{{x}} evaluations: %{{y:.3f}}<extra></extra>")
    finite = np.concatenate([m[np.isfinite(m)] for m in means])
    first = data[0]
    title = f"{first.get('dataset', '')}: {len(first['curves'])} seeds".strip(": ")
    yaxis: dict[str, Any] = {"title": {"text": "incumbent's test accuracy"}}
    if finite.size:
        low, high = float(np.percentile(finite, 20)), float(finite.max())
        if high > low:
            yaxis["range"] = [low, high + 0.05 * (high - low)]
    fig.update_layout(title={"text": f"Strategies compared, {title}"}, xaxis={"title": {"text": "evaluations"}}, yaxis=yaxis)
    return fig


def _plain(values: Any) -> list[float | None]:
    return [float(v) if v == v else None for v in values]
