"""Parameters as plot axes: linear, log-scale or categorical, from the study's space (or, without one,
from the values the trials hold).

Categories are placed at 0, 1, 2, ... in the order of their choices and labelled with tick texts,
so every plot (slice, contour, parallel coordinates) and both renderers place them alike.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypernas.errors import PlotError
from hypernas.record import FrozenTrial
from hypernas.space import Categorical, NumericParam
from hypernas.space.params import value_text
from hypernas.study import Study
from hypernas.viz.study_record import StudyRecord, as_record, select


@dataclass(frozen=True)
class ParamAxis:
    """How one parameter is drawn along an axis: ``scale`` is ``linear``, ``log`` or ``category``."""

    name: str
    scale: str
    categories: tuple[str, ...] = ()

    def position(self, value: Any) -> float | None:
        """Where ``value`` lies on the axis (data units; a category's index), or ``None`` if it cannot."""
        if self.scale == "category":
            text = value_text(value)
            return float(self.categories.index(text)) if text in self.categories else None
        if not _is_real(value):
            return None
        x = float(value)
        return x if self.scale == "linear" or x > 0 else None

    def positions(self, trials: Sequence[FrozenTrial]) -> list[float | None]:
        """Each trial's position (``None`` where the parameter is inactive or off the axis)."""
        return [self.position(t.params[self.name]) if self.name in t.params else None for t in trials]

    def plotly(self) -> dict[str, Any]:
        """The plotly axis settings: its title, log type or category ticks."""
        axis: dict[str, Any] = {"title": {"text": self.name}}
        if self.scale == "log":
            axis["type"] = "log"
        elif self.scale == "category":
            axis.update(tickvals=list(range(len(self.categories))), ticktext=list(self.categories))
        return axis


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _from_space(record: StudyRecord, name: str) -> ParamAxis | None:
    param = record.space[name] if record.space is not None and name in record.space else None
    if isinstance(param, NumericParam):
        return ParamAxis(name, "log" if param.log else "linear")
    if isinstance(param, Categorical):
        return ParamAxis(name, "category", tuple(value_text(c) for c in param.choices))
    return None


def _from_values(name: str, values: list[Any]) -> ParamAxis | None:
    if all(_is_real(v) for v in values):
        return ParamAxis(name, "linear")
    if any(isinstance(v, (list, dict)) for v in values):
        return None
    return ParamAxis(name, "category", tuple(dict.fromkeys(value_text(v) for v in values)))


def param_axes(record: StudyRecord, trials: Sequence[FrozenTrial], names: Sequence[str] | None = None) -> list[ParamAxis]:
    """The axes of the scalar parameters (numbers and categories) that ``trials`` hold, in space order.

    Architectures and fixed values are left out. ``names`` picks parameters; one that is not a scalar
    parameter of the study is a :class:`PlotError`.
    """
    seen: dict[str, list[Any]] = {}
    for t in trials:
        for k, v in t.params.items():
            seen.setdefault(k, []).append(v)
    order = list(record.space) if record.space is not None else []
    order += [k for k in seen if k not in order]
    axes: dict[str, ParamAxis] = {}
    for name in order:
        if name not in seen:
            continue
        in_space = record.space is not None and name in record.space
        axis = _from_space(record, name) if in_space else _from_values(name, seen[name])
        if axis is not None and not (axis.scale == "category" and len(axis.categories) < 2 and in_space):
            axes[name] = axis
    if names is None:
        return list(axes.values())
    known = {*order}
    for name in names:
        if name not in axes:
            why = "is not a parameter of the study" if name not in known else "is neither a number nor a category"
            raise PlotError(f"parameter {name!r} {why}; scalar parameters: {', '.join(axes) or 'none'}")
    return [axes[name] for name in names]



def trials_and_axes(study: Study | StudyRecord, objective: int | str | None, top: float | None,
                    params: Sequence[str] | None) -> tuple[StudyRecord, int, list[FrozenTrial], list[ParamAxis]]:
    """What a plot of values against parameters draws: the record, the objective's index, the complete trials
    (the best ``top`` percent) and the parameters' axes; a :class:`PlotError` when there is nothing to draw."""
    record = as_record(study)
    k = record.objective(objective)
    trials = select(record, top=top, objective=k)
    if not trials:
        raise PlotError(f"study {record.name!r} has no complete trial to plot")
    return record, k, trials, param_axes(record, trials, params)
