"""Optimization history: every trial's value by trial number, with the best value so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypernas.errors import PlotError
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.study import Study
from hypernas.viz.study_record import StudyRecord, as_record, hover_escape, select, trial_label
from hypernas.viz.style import BEST_COLOR, STATE_COLORS

if TYPE_CHECKING:
    import plotly.graph_objects as go


def plot_history(study: Study | StudyRecord, *, objective: str | int | None = None, hide_pruned: bool = False,
                 hide_failed: bool = False, top: float | None = None, log_y: bool = False) -> go.Figure:
    """Each finished trial's value against its number, and the best value so far (one row per objective).

    Pruned trials show the last value they reported; failed trials, which have none, are marked along
    the bottom. ``objective`` keeps one objective of several; ``top`` keeps the best ``top`` percent of
    the complete trials (by that objective, the first by default).
    """
    from plotly.subplots import make_subplots

    record = as_record(study)
    rows = [record.objective(objective)] if objective is not None else list(range(len(record.directions)))
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.08)
    plotted = 0
    for row, k in enumerate(rows, start=1):
        shown = select(record, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED),
                       hide_pruned=hide_pruned, hide_failed=hide_failed, top=top, objective=k)
        with_value = [t for t in shown if t.values is not None and t.state is not TrialState.FAILED]
        failed = [t for t in shown if t.state is TrialState.FAILED]
        plotted += len(with_value) + len(failed)
        for state in (TrialState.COMPLETE, TrialState.PRUNED):
            trials = [t for t in with_value if t.state is state]
            if trials:
                fig.add_scatter(x=[t.number for t in trials], y=[t.values[k] for t in trials], mode="markers",  # type: ignore[index]
                                name=state.value.lower(), legendgroup=state.value, showlegend=row == 1,
                                marker={"color": STATE_COLORS[state], "size": 6},
                                text=[trial_label(t, record.value_names) for t in trials],
                                hovertemplate="%{text}<extra></extra>", row=row, col=1)
        best_x, best_y = _best_so_far(record.directions[k], [t for t in with_value if t.state is TrialState.COMPLETE], k)
        if best_x:
            fig.add_scatter(x=best_x, y=best_y, mode="lines", name="best so far", legendgroup="best",
                            showlegend=row == 1, line={"color": BEST_COLOR, "shape": "hv"}, row=row, col=1)
        if failed:
            bottom = min((t.values[k] for t in with_value), default=0.0)  # type: ignore[index]
            fig.add_scatter(x=[t.number for t in failed], y=[bottom] * len(failed), mode="markers", name="failed",
                            legendgroup="FAILED", showlegend=row == 1,
                            marker={"color": STATE_COLORS[TrialState.FAILED], "symbol": "x", "size": 7},
                            text=[hover_escape(f"trial {t.number} failed: {(t.error or '')[:120]}") for t in failed],
                            hovertemplate="%{text}<extra></extra>", row=row, col=1)
        fig.update_yaxes(title_text=record.value_names[k], type="log" if log_y else None, row=row, col=1)
    if not plotted:
        raise PlotError(f"study {record.name!r} has no finished trial to plot")
    fig.update_xaxes(title_text="trial", row=len(rows), col=1)
    fig.update_layout(title={"text": f"Optimization history of {record.name}"})
    return fig


def _best_so_far(direction: Direction, complete: list[FrozenTrial], k: int) -> tuple[list[int], list[float]]:
    """The best value of objective ``k`` after each complete trial."""
    ys: list[float] = []
    for t in complete:
        value = t.values[k]  # type: ignore[index]
        ys.append(value if not ys or direction.better(value, ys[-1]) else ys[-1])
    return [t.number for t in complete], ys
