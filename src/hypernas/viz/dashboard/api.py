"""The dashboard's JSON: studies, trials and plots of the record as plain data a page shows.

Everything here is a pure function of what the storage holds; the web layer (:mod:`.app`) only routes.
A trial list is incremental: finished trials never change, so a page that has seen every trial
below a cursor (the number of the first trial not finished yet) asks only for those from the cursor
on, which are the new trials and the running ones with their intermediate values so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from hypernas.errors import PlotError, SpaceError
from hypernas.record import FrozenTrial, TrialState, as_finite_float
from hypernas.space import Space
from hypernas.space.params import value_text
from hypernas.study.storage import Storage, StudySummary
from hypernas.viz.arch import can_draw, draw_architecture
from hypernas.viz.catalog import PLOTS, figure_json, study_figures
from hypernas.viz.study_record import StudyRecord

TEXT_LIMIT = 80
"""A parameter's text in the trial list is cut to this many characters (the trial's page has it whole)."""


def _when(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def _numbers(values: Iterable[float] | None) -> list[float | None] | None:
    return None if values is None else [as_finite_float(v) for v in values]


def _cut(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def param_text(space: Space | None, name: str, value: Any) -> str:
    """``value`` of parameter ``name`` as its space describes it (architectures as genotype strings)."""
    if space is not None and name in space:
        try:
            return space[name].describe(value)
        except SpaceError:
            pass
    return value_text(value)


def state_counts(trials: Sequence[FrozenTrial]) -> dict[str, int]:
    """How many trials are in each state (every state named, zeros included)."""
    counts = dict.fromkeys((s.value for s in TrialState), 0)
    for t in trials:
        counts[t.state.value] += 1
    return counts


def cursor_of(trials: Sequence[FrozenTrial]) -> int:
    """The number of the first trial not finished, or one past the last trial: every trial below it is final."""
    for t in trials:
        if not t.state.is_finished:
            return t.number
    return trials[-1].number + 1 if trials else 0


def study_list(storage: Storage) -> list[dict[str, Any]]:
    """Every study of ``storage`` with its trial counts per state and best values."""
    return [_summary(s) for s in storage.summaries()]


def _summary(s: StudySummary) -> dict[str, Any]:
    counts = dict.fromkeys((st.value for st in TrialState), 0)
    counts.update(s.state_counts)
    return {"name": s.name, "directions": s.directions, "n_trials": s.n_trials, "counts": counts,
            "best_values": _numbers(s.best_values), "created": _when(s.datetime_created)}


def study_detail(record: StudyRecord) -> dict[str, Any]:
    """A study's objectives, space, counts, best trials and the plots a page can ask for."""
    space = record.space
    params = [] if space is None else [
        {"name": k, "type": p.type_name, "drawable": can_draw(p)} for k, p in space.items()]
    best = [{"number": t.number, "values": _numbers(t.values)} for t in record.best_trials()]
    return {"name": record.name, "directions": [d.value for d in record.directions],
            "value_names": list(record.value_names), "params": params, "n_trials": len(record.trials),
            "counts": state_counts(record.trials), "best": best,
            "plots": [{"name": n, "title": title} for n, (title, _) in PLOTS.items()]}


def trial_row(trial: FrozenTrial, space: Space | None) -> dict[str, Any]:
    """One line of the trial list; a trial not finished carries its intermediate values so far."""
    row: dict[str, Any] = {
        "number": trial.number, "state": trial.state.value, "values": _numbers(trial.values),
        "params": {k: _cut(param_text(space, k, v)) for k, v in trial.params.items()},
        "duration": trial.duration, "start": _when(trial.datetime_start), "complete": _when(trial.datetime_complete),
        "last_step": trial.last_step, "error": _cut(trial.error) if trial.error else None}
    if not trial.state.is_finished:
        row["intermediate"] = _curve(trial)
    return row


def _curve(trial: FrozenTrial) -> list[list[float | None]]:
    return [[step, as_finite_float(value)] for step, value in sorted(trial.intermediate.items())]


def trials_since(record: StudyRecord, since: int) -> dict[str, Any]:
    """The trials numbered ``since`` or more, the cursor for the next request, and the counts of all trials."""
    rows = [trial_row(t, record.space) for t in record.trials if t.number >= since]
    return {"trials": rows, "cursor": cursor_of(record.trials), "n_trials": len(record.trials),
            "counts": state_counts(record.trials)}


def trial_detail(record: StudyRecord, trial: FrozenTrial) -> dict[str, Any]:
    """Everything about one trial: parameters whole, values, curve, error, attributes, architecture drawings."""
    space = record.space
    drawings: list[dict[str, str | None]] = []
    if space is not None:
        for name, param in space.items():
            if name in trial.params and can_draw(param):
                try:
                    drawings.append({"param": name, "svg": draw_architecture(param, trial.params[name])})
                except (PlotError, SpaceError) as exc:
                    drawings.append({"param": name, "svg": None, "reason": str(exc)})
    return {**trial_row(trial, space), "params": {k: param_text(space, k, v) for k, v in trial.params.items()},
            "value_names": list(record.value_names), "intermediate": _curve(trial), "error": trial.error,
            "user_attrs": {k: value_text(v) for k, v in trial.user_attrs.items()}, "drawings": drawings}


def plot_data(record: StudyRecord, name: str) -> dict[str, Any]:
    """The plot ``name`` of ``record`` as ``Plotly.newPlot`` takes it, or why it does not apply."""
    (figure,) = study_figures(record, [name])
    return {"name": figure.name, "title": figure.title, "reason": figure.reason,
            "figure": None if figure.figure is None else figure_json(figure.figure)}
