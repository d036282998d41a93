"""Every plot of a study record by name, as the report and a dashboard show them.

:func:`study_figures` builds each plot that applies to the record and says why the others do not
(a Pareto front of a single-objective study, curves of a study whose trials reported none, ...): the
plot's own :class:`~hypernas.errors.PlotError` message. :func:`figure_json` is a figure as a page
hands it to ``Plotly.newPlot``, with the page's one template (:data:`PAGE_TEMPLATE`) left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypernas.errors import PlotError
from hypernas.viz.arch_weights import plot_arch_weights
from hypernas.viz.axes import param_axes
from hypernas.viz.contour import plot_contour
from hypernas.viz.curves import plot_intermediate_values
from hypernas.viz.history import plot_history
from hypernas.viz.importance import param_importances, plot_importance
from hypernas.viz.parallel import plot_parallel_coordinates
from hypernas.viz.pareto import plot_pareto_front
from hypernas.viz.slices import plot_slice
from hypernas.viz.study_record import StudyRecord, select
from hypernas.viz.timeline import plot_timeline

if TYPE_CHECKING:
    import plotly.graph_objects as go

PAGE_TEMPLATE = "plotly_white"
"""The plotly template pages give every figure (set once per page, not carried by each figure)."""
CONTOUR_PARAMS = 4
"""A study's contour matrix shows at most this many parameters: the most important ones."""


def _pareto(record: StudyRecord) -> go.Figure:
    two = None if len(record.directions) <= 3 else list(record.value_names[:2])
    return plot_pareto_front(record, objectives=two)


def _contour(record: StudyRecord) -> go.Figure:
    scalar = [a.name for a in param_axes(record, select(record))]
    if len(scalar) > CONTOUR_PARAMS:
        try:
            ranked = [p for p in param_importances(record) if p in scalar]
        except PlotError:
            ranked = []
        scalar = (ranked + [p for p in scalar if p not in ranked])[:CONTOUR_PARAMS]
    return plot_contour(record, params=scalar if len(scalar) >= 2 else None)


PLOTS: dict[str, tuple[str, Callable[[StudyRecord], go.Figure]]] = {
    "history": ("Optimization history", plot_history),
    "intermediate": ("Intermediate values", plot_intermediate_values),
    "pareto": ("Pareto front", _pareto),
    "importance": ("Parameter importance", plot_importance),
    "parallel": ("Parallel coordinates", plot_parallel_coordinates),
    "slice": ("Slice plot", plot_slice),
    "contour": ("Contour plot", _contour),
    "timeline": ("Timeline", plot_timeline),
    "arch_weights": ("Architecture weights by epoch", plot_arch_weights),
}
"""Name -> (title, builder with the defaults the report uses), in the order the report shows them."""


@dataclass(frozen=True)
class StudyFigure:
    """One plot of a study: its figure, or why it does not apply (``figure`` is then ``None``)."""

    name: str
    title: str
    figure: go.Figure | None
    reason: str | None = None


def study_figures(record: StudyRecord, names: Sequence[str] | None = None) -> list[StudyFigure]:
    """The plots ``names`` (default: all of :data:`PLOTS`) of ``record``, each built or with the reason it is not."""
    chosen = list(PLOTS) if names is None else list(names)
    unknown = [n for n in chosen if n not in PLOTS]
    if unknown:
        raise PlotError(f"unknown plot {unknown[0]!r}; plots: {', '.join(PLOTS)}")
    out = []
    for name in chosen:
        title, build = PLOTS[name]
        try:
            out.append(StudyFigure(name, title, build(record)))
        except PlotError as exc:
            out.append(StudyFigure(name, title, None, str(exc)))
    return out


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """``fig``'s data and layout as JSON data, without its template (a page sets :data:`PAGE_TEMPLATE` once)."""
    import plotly.io as pio

    spec = json.loads(pio.to_json(fig, validate=False))
    spec["layout"].pop("template", None)
    return {"data": spec["data"], "layout": spec["layout"]}
