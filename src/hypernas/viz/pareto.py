"""Pareto front: the complete trials of a study with several objectives, the non-dominated ones highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hypernas.errors import PlotError
from hypernas.record import pareto_front
from hypernas.study import Study
from hypernas.viz.study_record import StudyRecord, as_record, select, trial_label
from hypernas.viz.style import BEST_COLOR, STATE_COLORS, rgba

if TYPE_CHECKING:
    import plotly.graph_objects as go


def plot_pareto_front(study: Study | StudyRecord, *, objectives: Sequence[str | int] | None = None,
                      top: float | None = None) -> go.Figure:
    """The complete trials in the space of two or three objectives (by name or index; default: all, when
    the study has two or three), the Pareto front among them highlighted and joined in 2-D.

    ``top`` keeps the best ``top`` percent of the complete trials by the first of ``objectives``.
    """
    import plotly.graph_objects as go

    record = as_record(study)
    if not record.is_multi_objective:
        raise PlotError(f"study {record.name!r} has one objective; a Pareto front needs two or more")
    if objectives is None:
        if len(record.directions) > 3:
            raise PlotError(f"study {record.name!r} has {len(record.directions)} objectives; pick 2 or 3 of "
                            f"{', '.join(record.value_names)} with objectives=[...]")
        objectives = list(range(len(record.directions)))
    which = [record.objective(o) for o in objectives]
    if len(which) not in (2, 3) or len(set(which)) != len(which):
        raise PlotError(f"a Pareto front is drawn for 2 or 3 distinct objectives, got {list(objectives)!r}")
    trials = select(record, top=top, objective=which[0])
    if not trials:
        raise PlotError(f"study {record.name!r} has no complete trial to plot")
    directions = [record.directions[k] for k in which]
    points = [t.replace(values=[t.values[k] for k in which]) for t in trials]  # type: ignore[index]
    front_numbers = {t.number for t in pareto_front(points, directions)}
    front = sorted((p for p in points if p.number in front_numbers), key=lambda p: p.values)  # type: ignore[arg-type, return-value]
    others = [p for p in points if p.number not in front_numbers]
    names = [record.value_names[k] for k in which]
    labels = {t.number: trial_label(t, record.value_names) for t in trials}
    fig = go.Figure()
    for group, name, color, mode in ((others, "trials", rgba(STATE_COLORS[trials[0].state], 0.5), "markers"),
                                     (front, "Pareto front", BEST_COLOR, "markers" if len(which) == 3 else "lines+markers")):
        if not group:
            continue
        coords = {axis: [p.values[i] for p in group] for i, axis in enumerate("xyz"[:len(which)])}  # type: ignore[index]
        common = {"mode": mode, "name": name, "text": [labels[p.number] for p in group],
                  "hovertemplate": "%{text}<extra></extra>", "marker": {"color": color, "size": 7 if group is front else 6},
                  "line": {"color": color}}
        if len(which) == 3:
            fig.add_scatter3d(**coords, **common)
        else:
            fig.add_scatter(**coords, **common)
    titles = [f"{n} ({d.value})" for n, d in zip(names, directions)]
    if len(which) == 3:
        fig.update_layout(scene={f"{a}axis": {"title": {"text": t}} for a, t in zip("xyz", titles)})
    else:
        fig.update_layout(xaxis={"title": {"text": titles[0]}}, yaxis={"title": {"text": titles[1]}})
    fig.update_layout(title={"text": f"Pareto front of {record.name}: {len(front)} of {len(points)} complete trials"})
    return fig
