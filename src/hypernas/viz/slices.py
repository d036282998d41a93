"""Slice plot: the objective against each parameter on its own, one panel per parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.study import Study
from hypernas.viz.axes import trials_and_axes
from hypernas.viz.study_record import StudyRecord
from hypernas.viz.style import ORDER_SCALE

if TYPE_CHECKING:
    import plotly.graph_objects as go

COLUMNS = 3


def plot_slice(study: Study | StudyRecord, *, params: Sequence[str] | None = None, objective: str | int | None = None,
               top: float | None = None) -> go.Figure:
    """Each complete trial's value against each numeric or categorical parameter (log axes for log-scale
    parameters), coloured by trial number; a trial where a conditional parameter is inactive is absent
    from that parameter's panel. ``params`` picks parameters; ``top`` keeps the best ``top`` percent."""
    from plotly.subplots import make_subplots

    record, k, trials, axes = trials_and_axes(study, objective, top, params)
    if not axes:
        raise PlotError(f"study {record.name!r} has no numeric or categorical parameter to plot")
    cols = min(COLUMNS, len(axes))
    rows = math.ceil(len(axes) / cols)
    specs: list[list[dict[str, Any] | None]] = [[{} if r * cols + c < len(axes) else None for c in range(cols)] for r in range(rows)]
    fig = make_subplots(rows=rows, cols=cols, specs=specs, shared_yaxes=True, horizontal_spacing=0.06,
                        vertical_spacing=0.16)
    for i, axis in enumerate(axes):
        row, col = i // cols + 1, i % cols + 1
        points = [(x, t) for x, t in zip(axis.positions(trials), trials) if x is not None]
        fig.add_scatter(x=[x for x, _ in points], y=[t.values[k] for _, t in points], mode="markers",  # type: ignore[index]
                        name=axis.name, showlegend=False,
                        marker={"color": [t.number for _, t in points], "colorscale": ORDER_SCALE, "size": 6,
                                "showscale": i == 0, "colorbar": {"title": {"text": "trial"}}},
                        customdata=[t.number for _, t in points],
                        hovertemplate=f"trial %{{customdata}}<br>{axis.name}=%{{x}}<br>%{{y}}<extra></extra>",
                        row=row, col=col)
        fig.update_xaxes(**axis.plotly(), row=row, col=col)
        if col == 1:
            fig.update_yaxes(title_text=record.value_names[k], row=row, col=col)
    fig.update_layout(title={"text": f"Slice plot of {record.name}"}, height=max(380, 300 * rows))
    return fig
