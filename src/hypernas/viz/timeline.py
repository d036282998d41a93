"""Timeline: when each trial ran, one row per worker, coloured by state.

Each trial's record names the worker that ran it (host, process and thread); the rows are those
workers in the order they first started a trial. Where a trial has no worker (recorded before the
worker was kept) or one worker's trials overlap (asked and told by hand), each trial goes on the
first row that is free when it starts instead, so a study run by ``n`` workers
fills ``n`` rows (more only where a worker started a trial before its last one was recorded as
finished).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study import Study
from hypernas.study.storage.base import utcnow
from hypernas.study.workers import WORKER_ATTR
from hypernas.viz.study_record import StudyRecord, as_record, select
from hypernas.viz.style import STATE_COLORS

if TYPE_CHECKING:
    import plotly.graph_objects as go

_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.RUNNING)


def plot_timeline(study: Study | StudyRecord, *, hide_pruned: bool = False, hide_failed: bool = False) -> go.Figure:
    """A bar from start to end for every trial that started (running ones up to now), one row per worker."""
    import plotly.graph_objects as go

    record = as_record(study)
    now = utcnow()
    shown = select(record, states=_STATES, hide_pruned=hide_pruned, hide_failed=hide_failed)
    spans = {t.number: (t.datetime_start, t.datetime_complete or max(now, t.datetime_start))
             for t in shown if t.datetime_start is not None}
    trials = [t for t in shown if t.number in spans]
    if not trials:
        raise PlotError(f"no trial of study {record.name!r} to plot has started")
    rows, names = worker_rows(trials, spans)
    fig = go.Figure()
    for state in _STATES:
        group = [t for t in trials if t.state is state]
        if group:
            fig.add_bar(base=[spans[t.number][0].isoformat() for t in group],
                        x=[(spans[t.number][1] - spans[t.number][0]).total_seconds() * 1000 for t in group],
                        y=[rows[t.number] for t in group], orientation="h", name=state.value.lower(),
                        marker={"color": STATE_COLORS[state]}, customdata=[t.number for t in group],
                        hovertemplate="trial %{customdata}<br>%{base} + %{x} ms<extra></extra>")
    n_rows = len(names)
    fig.update_layout(title={"text": f"Timeline of {record.name} (UTC)"}, barmode="overlay",
                      xaxis={"type": "date", "title": {"text": "time (UTC)"}},
                      yaxis={"title": {"text": "worker"}, "tickvals": list(range(n_rows)),
                             "ticktext": names, "autorange": "reversed"},
                      height=max(300, 120 + 28 * n_rows))
    return fig


def worker_rows(trials: list[FrozenTrial], spans: dict[int, tuple[datetime, datetime]]) -> tuple[dict[int, int], list[str]]:
    """Each trial's row and the rows' names: the recorded workers, else the first row free when a trial started."""
    ordered = sorted(trials, key=lambda t: (spans[t.number][0], t.number))
    recorded = [t.system_attrs.get(WORKER_ATTR) for t in ordered]
    if all(isinstance(w, str) for w in recorded) and not _overlapping(ordered, recorded, spans):
        row_of = {name: row for row, name in enumerate(dict.fromkeys(str(w) for w in recorded))}
        return {t.number: row_of[str(w)] for t, w in zip(ordered, recorded)}, list(row_of)
    free_at: list[datetime] = []
    rows: dict[int, int] = {}
    for t in ordered:
        start, end = spans[t.number]
        row = next((i for i, free in enumerate(free_at) if free <= start), len(free_at))
        if row == len(free_at):
            free_at.append(end)
        else:
            free_at[row] = end
        rows[t.number] = row
    return rows, [str(i + 1) for i in range(len(free_at))]


def _overlapping(ordered: list[FrozenTrial], workers: list[Any], spans: dict[int, tuple[datetime, datetime]]) -> bool:
    """Whether a worker started a trial before its previous one ended (``ordered`` by start)."""
    ends: dict[Any, datetime] = {}
    for t, w in zip(ordered, workers):
        start, end = spans[t.number]
        if w in ends and start < ends[w]:
            return True
        ends[w] = end
    return False
