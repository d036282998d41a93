"""Intermediate values: every trial's learning curve (``trial.report``), pruned trials marked where they stopped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study import Study
from hypernas.viz.study_record import StudyRecord, as_record, select
from hypernas.viz.style import STATE_COLORS

if TYPE_CHECKING:
    import plotly.graph_objects as go

_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.RUNNING)


def plot_intermediate_values(study: Study | StudyRecord, *, hide_pruned: bool = False, hide_failed: bool = False,
                             top: float | None = None, log_y: bool = False) -> go.Figure:
    """The intermediate values each trial reported, by step, one colour per state (running trials too);
    a cross marks the last value of each pruned trial. ``top`` keeps the curves of the best ``top``
    percent of the complete trials only."""
    import plotly.graph_objects as go

    record = as_record(study)
    trials = [t for t in select(record, states=_STATES, hide_pruned=hide_pruned, hide_failed=hide_failed, top=top)
              if t.intermediate]
    if not trials:
        raise PlotError(f"no trial of study {record.name!r} to plot has reported intermediate values (trial.report)")
    fig = go.Figure()
    for state in _STATES:
        group = [t for t in trials if t.state is state]
        if group:
            x, y, numbers = _joined(group)
            fig.add_scatter(x=x, y=y, mode="lines", name=state.value.lower(), customdata=numbers,
                            line={"color": STATE_COLORS[state], "width": 1}, opacity=0.8,
                            hovertemplate="trial %{customdata}<br>step %{x}: %{y}<extra></extra>")
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    if pruned:
        last = [t.last_step for t in pruned]
        fig.add_scatter(x=last, y=[t.intermediate[s] for t, s in zip(pruned, last)], mode="markers", name="pruned here",  # type: ignore[index]
                        marker={"color": STATE_COLORS[TrialState.PRUNED], "symbol": "x", "size": 8},
                        customdata=[t.number for t in pruned], hovertemplate="trial %{customdata} pruned at step %{x}<extra></extra>")
    fig.update_layout(title={"text": f"Intermediate values of {record.name}"}, xaxis={"title": {"text": "step"}},
                      yaxis={"title": {"text": "intermediate value"}, **({"type": "log"} if log_y else {})})
    return fig


def _joined(trials: list[FrozenTrial]) -> tuple[list[Any], list[Any], list[Any]]:
    """The curves of ``trials`` as one line broken by gaps (one trace for many trials keeps the figure small)."""
    x: list[Any] = []
    y: list[Any] = []
    numbers: list[Any] = []
    for t in trials:
        steps = sorted(t.intermediate)
        x += [*steps, None]
        y += [*(t.intermediate[s] for s in steps), None]
        numbers += [t.number] * len(steps) + [None]
    return x, y, numbers
