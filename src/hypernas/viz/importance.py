"""Parameter importance: how much of the objective's variation each parameter explains.

The importance is the mean decrease in impurity of a random forest (scikit-learn's
``RandomForestRegressor``, 64 trees, seed 0) fitted to the complete trials: each parameter enters
through its space's encoding (a number in [0, 1], a one-hot category, an architecture's own
encoding; -1 where a conditional parameter is inactive), and a parameter's importance is the sum
over its encoding's columns, normalised so that all parameters sum to one. Without a stored space,
the numeric and categorical parameters enter as their plot positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.record import FrozenTrial
from hypernas.space import Fixed
from hypernas.study import Study
from hypernas.viz.axes import param_axes
from hypernas.viz.study_record import StudyRecord, as_record, select
from hypernas.viz.style import PALETTE

if TYPE_CHECKING:
    import plotly.graph_objects as go

TREES = 64


def param_importances(study: Study | StudyRecord, *, objective: str | int | None = None,
                      params: Sequence[str] | None = None) -> dict[str, float]:
    """Each parameter's importance for ``objective`` (default: the first), most important first; they sum to one
    (all zero when every trial has the same value). Needs two complete trials or more."""
    record = as_record(study)
    k = record.objective(objective)
    trials = select(record)
    if len(trials) < 2:
        raise PlotError(f"parameter importance needs at least 2 complete trials; study {record.name!r} has {len(trials)}")
    columns = _features(record, trials)
    if params is not None:
        unknown = [p for p in params if p not in columns]
        if unknown:
            raise PlotError(f"parameter {unknown[0]!r} is not a parameter of study {record.name!r} that varies; "
                            f"its parameters: {', '.join(columns) or 'none'}")
        columns = {p: columns[p] for p in params}
    if not columns:
        raise PlotError(f"study {record.name!r} has no parameter that varies between its complete trials")
    return _forest_importances(columns, [t.values[k] for t in trials])  # type: ignore[index]


def _features(record: StudyRecord, trials: Sequence[FrozenTrial]) -> dict[str, list[list[float]]]:
    """Per parameter, each trial's encoding (rows), for the parameters whose value is not always the same."""
    import numpy as np

    out: dict[str, list[list[float]]] = {}
    if record.space is not None:
        for name, param in record.space.items():
            if isinstance(param, Fixed) or not any(name in t.params for t in trials):
                continue
            rows = [param.encode(t.params[name]) if name in t.params else [-1.0] * param.n_dims for t in trials]
            out[name] = rows
    else:
        for axis in param_axes(record, trials):
            positions = axis.positions(trials)
            present = [x for x in positions if x is not None]
            low, high = min(present), max(present)
            if axis.scale == "log":
                low, high = np.log10(low), np.log10(high)
            span = high - low or 1.0
            out[axis.name] = [[-1.0] if x is None else
                              [((np.log10(x) if axis.scale == "log" else x) - low) / span] for x in positions]
    return {name: rows for name, rows in out.items() if len({tuple(r) for r in rows}) > 1}


def _forest_importances(columns: dict[str, list[list[float]]], y: list[float]) -> dict[str, float]:
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    blocks = [np.asarray(rows, dtype=float) for rows in columns.values()]
    x = np.hstack(blocks)
    forest = RandomForestRegressor(n_estimators=TREES, random_state=0, n_jobs=1).fit(x, np.asarray(y, dtype=float))
    per_column = forest.feature_importances_
    bounds = np.cumsum([0] + [b.shape[1] for b in blocks])
    scores = {name: float(per_column[bounds[i]:bounds[i + 1]].sum()) for i, name in enumerate(columns)}
    total = sum(scores.values())
    if total > 0:
        scores = {name: s / total for name, s in scores.items()}
    return dict(sorted(scores.items(), key=lambda item: -item[1]))


def plot_importance(study: Study | StudyRecord, *, objective: str | int | None = None,
                    params: Sequence[str] | None = None) -> go.Figure:
    """Horizontal bars of :func:`param_importances`, most important on top; one bar per objective and
    parameter when the study has several objectives and ``objective`` is not given."""
    import plotly.graph_objects as go

    record = as_record(study)
    which = [record.objective(objective)] if objective is not None else list(range(len(record.directions)))
    scores = [param_importances(record, objective=k, params=params) for k in which]
    order = list(scores[0])
    fig = go.Figure()
    for i, (k, score) in enumerate(zip(which, scores)):
        fig.add_bar(x=[score[p] for p in order], y=order, orientation="h", name=record.value_names[k],
                    marker={"color": PALETTE[i % len(PALETTE)]}, showlegend=len(which) > 1,
                    hovertemplate="%{y}: %{x:.3f}<extra></extra>")
    layout: dict[str, Any] = {"title": {"text": f"Parameter importance in {record.name} (random forest)"},
                              "xaxis": {"title": {"text": "importance (mean decrease in impurity, normalised)"}},
                              "yaxis": {"autorange": "reversed", "title": {"text": "parameter"}},
                              "height": max(320, 60 + 40 * len(order) * len(which))}
    if len(which) > 1:
        layout["barmode"] = "group"
    fig.update_layout(**layout)
    return fig
