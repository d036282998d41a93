"""Parallel coordinates: every complete trial as a line through its objective value and its parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.record import FrozenTrial
from hypernas.study import Study
from hypernas.viz.axes import ParamAxis, trials_and_axes
from hypernas.viz.study_record import StudyRecord
from hypernas.viz.style import VALUE_SCALE

if TYPE_CHECKING:
    import plotly.graph_objects as go

INACTIVE = "inactive"


def plot_parallel_coordinates(study: Study | StudyRecord, *, params: Sequence[str] | None = None,
                              objective: str | int | None = None, top: float | None = None) -> go.Figure:
    """One line per complete trial through its value and its numeric and categorical parameters, coloured by value.

    Log-scale parameters get a log axis (ticks at powers of ten); a conditional parameter's axis has an
    ``inactive`` mark at the bottom for the trials where it does not apply. ``params`` picks parameters;
    ``top`` keeps the best ``top`` percent of the complete trials.
    """
    import plotly.graph_objects as go

    record, k, trials, axes = trials_and_axes(study, objective, top, params)
    if not axes:
        raise PlotError(f"study {record.name!r} has no numeric or categorical parameter to plot")
    values = [t.values[k] for t in trials]  # type: ignore[index]
    dimensions = [{"label": record.value_names[k], "values": values}]
    dimensions += [_dimension(axis, trials) for axis in axes]
    fig = go.Figure(go.Parcoords(dimensions=dimensions, line={"color": values, "colorscale": VALUE_SCALE, "showscale": True,
                                                               "colorbar": {"title": {"text": record.value_names[k]}}}))
    fig.update_layout(title={"text": f"Parallel coordinates of {record.name}"})
    return fig


def _dimension(axis: ParamAxis, trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    """One axis of the plot: positions (log10 for log scales), its range and ticks, ``inactive`` at the bottom."""
    raw = axis.positions(trials)
    if axis.scale == "category":
        ticks: list[float] = [float(i) for i in range(len(axis.categories))]
        texts = list(axis.categories)
        present: list[float] = [float(x) for x in raw if x is not None]
        low, high = -0.5, len(texts) - 0.5
        gap = 1.0
    else:
        present = [math.log10(x) if axis.scale == "log" else x for x in raw if x is not None]
        low, high = min(present), max(present)
        if high == low:
            low, high = low - 0.5, high + 0.5
        gap = 0.15 * (high - low)
        ticks, texts = _ticks(axis, low, high)
    positions = iter(present)
    missing = any(x is None for x in raw)
    bottom = low - gap
    values = [bottom if x is None else next(positions) for x in raw]
    if missing:
        ticks, texts = [bottom, *ticks], [INACTIVE, *texts]
        low = bottom - 0.1 * gap
    dim: dict[str, Any] = {"label": axis.name, "values": values, "range": [low, high]}
    if ticks:
        dim.update(tickvals=ticks, ticktext=texts)
    return dim


def _ticks(axis: ParamAxis, low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks of a numeric axis: powers of ten for a log axis (``low``, ``high`` in log10), else five even steps."""
    if axis.scale == "log":
        decades = list(range(math.ceil(low), math.floor(high) + 1)) or [round((low + high) / 2)]
        return [float(d) for d in decades], [f"1e{d}" for d in decades]
    steps = [low + i * (high - low) / 4 for i in range(5)]
    return steps, [f"{s:.3g}" for s in steps]
