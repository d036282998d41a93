"""Architecture weights over epochs: how a one-shot search (DARTS, GDAS, ...) moved between the operations.

A one-shot search keeps, in its trial's record (the system attribute :data:`~hypernas.record.ARCH_WEIGHTS_ATTR`),
the weight of every operation on every edge of every cell type after each epoch::

    {"ops": ["none", "skip_connect", ...], "edges": ["0→1", "0→2", ...],
     "epochs": [{"normal": [[w, ...], ...], "reduce": [[...], ...]}, ...]}

(``weights[edge][op]``, each edge's weights summing to 1). The plot has one panel per edge and cell
type, one line per operation, so a collapse onto ``skip_connect`` shows as its line taking over.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from hypernas.errors import PlotError
from hypernas.record import ARCH_WEIGHTS_ATTR, FrozenTrial
from hypernas.study import Study
from hypernas.viz.study_record import StudyRecord, as_record

if TYPE_CHECKING:
    import plotly.graph_objects as go

COLUMNS = 4
OP_COLORS = ("#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
             "#bcbd22")
"""One colour per operation, in the order of ``ops`` (``none`` first, grey, in the DARTS and NB201 lists)."""


def arch_weights_of(trial: FrozenTrial) -> dict[str, Any] | None:
    """The architecture weights ``trial`` recorded (checked), ``None`` if it recorded none.

    A record in another form is a :class:`~hypernas.errors.PlotError` naming the trial and what is wrong.
    """
    value = trial.system_attrs.get(ARCH_WEIGHTS_ATTR)
    if value is None:
        return None
    where = f"trial {trial.number}'s {ARCH_WEIGHTS_ATTR!r}"
    if not isinstance(value, Mapping):
        raise PlotError(f"{where} must be a mapping with ops, edges and epochs, got {type(value).__name__}")
    ops, edges, epochs = value.get("ops"), value.get("edges"), value.get("epochs")
    if not _strings(ops) or not _strings(edges):
        raise PlotError(f"{where} must name its ops and edges as non-empty lists of strings")
    if not isinstance(epochs, list) or not epochs or not all(isinstance(e, Mapping) and e for e in epochs):
        raise PlotError(f"{where} must hold a non-empty list of epochs, each mapping cell types to weights")
    cells = list(epochs[0])
    for n, epoch in enumerate(epochs):
        if list(epoch) != cells:
            raise PlotError(f"{where}: epoch {n} has cell types {list(epoch)}, epoch 0 has {cells}")
        for cell, weights in epoch.items():
            if not _matrix(weights, len(edges), len(ops)):
                raise PlotError(f"{where}: epoch {n}, cell {cell!r} must be {len(edges)} edges x {len(ops)} "
                                "finite numbers")
    return {"ops": list(ops), "edges": list(edges), "epochs": list(epochs)}


def plot_arch_weights(study: Study | StudyRecord, *, trial: int | None = None) -> go.Figure:
    """The architecture weights of trial ``trial`` (default: the last trial that recorded them) over epochs:
    one panel per edge of each cell type, one line per operation."""
    from plotly.subplots import make_subplots

    record = as_record(study)
    chosen, weights = _chosen(record, trial)
    ops, edges, epochs = weights["ops"], weights["edges"], weights["epochs"]
    cells = list(epochs[0])
    cols = min(COLUMNS, len(edges))
    rows_per_cell = math.ceil(len(edges) / cols)
    specs: list[list[dict[str, Any] | None]] = [[{} if r * cols + i < len(edges) else None for i in range(cols)]
                                                for _ in cells for r in range(rows_per_cell)]
    titles = [f"{cell} edge {edge}" if len(cells) > 1 else f"edge {edge}" for cell in cells for edge in edges]
    fig = make_subplots(rows=len(specs), cols=cols, specs=specs, shared_yaxes="all", horizontal_spacing=0.03,
                        vertical_spacing=0.6 / len(specs))
    x = list(range(1, len(epochs) + 1))
    for c, cell in enumerate(cells):
        for e in range(len(edges)):
            row, col = c * rows_per_cell + e // cols + 1, e % cols + 1
            fig.update_xaxes(title_text=titles[c * len(edges) + e], row=row, col=col)
            for o, op in enumerate(ops):
                fig.add_scatter(x=x, y=[float(epoch[cell][e][o]) for epoch in epochs], mode="lines", name=op,
                                legendgroup=op, showlegend=c == 0 and e == 0,
                                line={"color": OP_COLORS[o % len(OP_COLORS)], "width": 1.5},
                                hovertemplate=f"{op}<br>epoch %{{x}}: %{{y:.3f}}<extra></extra>", row=row, col=col)
    fig.update_layout(title={"text": f"Architecture weights of trial {chosen.number} of {record.name}, by epoch "
                                     "(one panel per edge)"},
                      height=max(320, 220 * len(specs)), legend={"title": {"text": "operation"}})
    return fig


def _chosen(record: StudyRecord, number: int | None) -> tuple[FrozenTrial, dict[str, Any]]:
    if number is not None:
        for t in record.trials:
            if t.number == number:
                weights = arch_weights_of(t)
                if weights is None:
                    raise PlotError(f"trial {number} of study {record.name!r} recorded no architecture weights "
                                    "(only one-shot searches do)")
                return t, weights
        raise PlotError(f"study {record.name!r} has no trial {number}")
    for t in reversed(record.trials):
        weights = arch_weights_of(t)
        if weights is not None:
            return t, weights
    raise PlotError(f"no trial of study {record.name!r} recorded architecture weights (only one-shot searches do)")


def _strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _matrix(value: Any, rows: int, cols: int) -> bool:
    return (isinstance(value, Sequence) and len(value) == rows
            and all(isinstance(r, Sequence) and len(r) == cols
                    and all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) for w in r)
                    for r in value))
