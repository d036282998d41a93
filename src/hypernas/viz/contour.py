"""Contour plot: the objective over pairs of parameters, interpolated between the complete trials."""

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


def plot_contour(study: Study | StudyRecord, *, params: Sequence[str] | None = None, objective: str | int | None = None,
                 top: float | None = None, resolution: int = 50) -> go.Figure:
    """The objective over two parameters, or over every pair of several (a lower-triangle matrix).

    The surface interpolates the complete trials linearly (``scipy.interpolate.griddata`` on a
    ``resolution`` x ``resolution`` grid, in log space for log-scale parameters; trials at the same point
    count with their mean), with the trials as dots; a pair with fewer than three distinct points, or
    all on one line, shows its dots only. ``params`` picks the
    parameters (at least two; default all numeric and categorical ones); ``top`` keeps the best ``top``
    percent of the complete trials.
    """
    from plotly.subplots import make_subplots

    if params is not None and len(params) < 2:
        raise PlotError(f"a contour plot needs two parameters or more, got {list(params)!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 2 <= resolution <= 500:
        raise PlotError(f"resolution must be an integer from 2 to 500, got {resolution!r}")
    record, k, trials, axes = trials_and_axes(study, objective, top, params)
    if len(axes) < 2:
        raise PlotError(f"a contour plot needs two numeric or categorical parameters; study {record.name!r} has "
                        f"{', '.join(a.name for a in axes) or 'none'}")
    values = [t.values[k] for t in trials]  # type: ignore[index]
    low, high = min(values), max(values)
    n = len(axes) - 1
    specs: list[list[dict[str, Any] | None]] = [[{} if col <= row else None for col in range(n)] for row in range(n)]
    fig = make_subplots(rows=n, cols=n, specs=specs, horizontal_spacing=0.08 if n > 1 else 0.02,
                        vertical_spacing=0.08 if n > 1 else 0.02)
    for row in range(n):
        for col in range(row + 1):
            x_axis, y_axis = axes[col], axes[row + 1]
            first = row == 0 and col == 0
            for trace in _pair(x_axis, y_axis, trials, k, resolution, (low, high), record.value_names[k] if first else None):
                fig.add_trace(trace, row=row + 1, col=col + 1)
            fig.update_xaxes(**(x_axis.plotly() if row == n - 1 else {**x_axis.plotly(), "title": None}),
                             row=row + 1, col=col + 1)
            fig.update_yaxes(**(y_axis.plotly() if col == 0 else {**y_axis.plotly(), "title": None}),
                             row=row + 1, col=col + 1)
    side = 420 if n == 1 else 280 * n
    fig.update_layout(title={"text": f"Contour plot of {record.name}: {record.value_names[k]}"}, height=side + 80,
                      width=side + 180, showlegend=False)
    return fig


def _pair(x_axis: ParamAxis, y_axis: ParamAxis, trials: Sequence[FrozenTrial], k: int, resolution: int,
          zrange: tuple[float, float], scale_title: str | None) -> list[Any]:
    """The contour and the dots of one pair of parameters (with the colour scale titled ``scale_title``, if given)."""
    import numpy as np
    import plotly.graph_objects as go

    points = [(x, y, t) for x, y, t in zip(x_axis.positions(trials), y_axis.positions(trials), trials)
              if x is not None and y is not None]
    traces: list[Any] = []
    surface = _surface(x_axis, y_axis, points, k, resolution)
    if surface is not None:
        gx, gy, z = surface
        traces.append(go.Contour(x=gx, y=gy, z=z, colorscale=VALUE_SCALE, zmin=zrange[0], zmax=zrange[1], zauto=False,
                                 showscale=scale_title is not None, connectgaps=False, ncontours=12,
                                 colorbar={"title": {"text": scale_title or ""}}, hoverinfo="skip"))
    traces.append(go.Scatter(x=np.array([p[0] for p in points], dtype=float), y=np.array([p[1] for p in points], dtype=float),
                             mode="markers", name="trials", marker={"color": "#222222", "size": 5},
                             customdata=np.array([p[2].number for p in points], dtype=np.int32),
                             hovertemplate="trial %{customdata}<br>%{x}, %{y}<extra></extra>"))
    return traces


def _surface(x_axis: ParamAxis, y_axis: ParamAxis, points: list[tuple[float, float, FrozenTrial]], k: int,
             resolution: int) -> tuple[Any, Any, Any] | None:
    """The interpolated grid as arrays (x, y in data units; z NaN outside the trials' hull, float32 to keep
    pages small), or ``None``."""
    import numpy as np
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    if len(points) < 3:
        return None
    coords = np.array([[_coordinate(x_axis, x), _coordinate(y_axis, y)] for x, y, _ in points])
    low, high = coords.min(axis=0), coords.max(axis=0)
    if (high - low <= 0).any():
        return None
    unit, where = np.unique((coords - low) / (high - low), axis=0, return_inverse=True)
    where = where.reshape(-1)
    z_values = np.array([t.values[k] for _, _, t in points])  # type: ignore[index]
    z_values = np.bincount(where, weights=z_values) / np.bincount(where)  # trials at the same point: their mean
    if len(unit) < 3:
        return None
    grid = np.linspace(0.0, 1.0, resolution)
    gx, gy = np.meshgrid(grid, grid)
    try:
        z = griddata(unit, z_values, (gx, gy), method="linear")
    except QhullError:  # every trial on one line: no triangle to interpolate in
        return None
    xs, ys = (low[i] + grid * (high[i] - low[i]) for i in (0, 1))
    return _data(x_axis, xs), _data(y_axis, ys), z.astype(np.float32)


def _coordinate(axis: ParamAxis, x: float) -> float:
    """Where interpolation places ``x``: in log space for a log axis."""
    return math.log10(x) if axis.scale == "log" else x


def _data(axis: ParamAxis, c: Any) -> Any:
    """Grid coordinates back in data units (from log space for a log axis)."""
    return 10 ** c if axis.scale == "log" else c
