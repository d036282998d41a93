"""What every view reads: a study's record at one moment, and the trials a plot is asked to show.

A :class:`StudyRecord` is built from a :class:`~hypernas.study.Study` (or its parts) once and handed
to every plot, so a report or a dashboard page reads the storage once. Nothing here needs the
study's strategy or objective.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypernas.errors import PlotError, SpaceError
from hypernas.record import Direction, FrozenTrial, TrialState, pareto_front
from hypernas.space import Space
from hypernas.space.params import value_text
from hypernas.study import Study


@dataclass(frozen=True)
class StudyRecord:
    """A study's name, objectives, space (``None`` if it has none) and trials, as read at one moment."""

    name: str
    directions: tuple[Direction, ...]
    value_names: tuple[str, ...]
    space: Space | None
    trials: tuple[FrozenTrial, ...]

    @classmethod
    def of(cls, study: Study) -> StudyRecord:
        """The record of ``study`` as its storage holds it now."""
        try:
            space: Space | None = study.space
        except SpaceError:
            space = None
        return cls(study.name, tuple(study.directions), tuple(study.value_names()), space, tuple(study.trials))

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    def complete(self) -> list[FrozenTrial]:
        """The COMPLETE trials, in number order."""
        return [t for t in self.trials if t.state is TrialState.COMPLETE and t.values is not None]

    def best_trials(self) -> list[FrozenTrial]:
        """The best COMPLETE trial (the earliest of ties), or the Pareto front for several objectives."""
        done = self.complete()
        if not done:
            return []
        if self.is_multi_objective:
            return pareto_front(done, list(self.directions))
        best = done[0]
        for t in done[1:]:
            if self.directions[0].better(t.values[0], best.values[0]):  # type: ignore[index]
                best = t
        return [best]

    def objective(self, which: str | int | None) -> int:
        """The index of an objective given by name, index or ``None`` (the first)."""
        if which is None:
            return 0
        if isinstance(which, int) and not isinstance(which, bool) and 0 <= which < len(self.value_names):
            return which
        if which in self.value_names:
            return self.value_names.index(which)
        raise PlotError(f"study {self.name!r} has no objective {which!r}; its objectives: {', '.join(self.value_names)}")


def as_record(source: Study | StudyRecord) -> StudyRecord:
    """``source`` as a :class:`StudyRecord` (a study is read now)."""
    if isinstance(source, StudyRecord):
        return source
    if isinstance(source, Study):
        return StudyRecord.of(source)
    raise PlotError(f"plots read a Study or a StudyRecord, got {type(source).__name__}")


def top_fraction(top: float | None) -> float | None:
    """``top`` (a percentage in (0, 100]) as a fraction, or ``None``."""
    if top is None:
        return None
    if isinstance(top, bool) or not isinstance(top, (int, float)) or not 0 < top <= 100 or math.isnan(top):
        raise PlotError(f"top must be a percentage in (0, 100], got {top!r}")
    return top / 100


def select(record: StudyRecord, *, states: Sequence[TrialState] = (TrialState.COMPLETE,), hide_pruned: bool = False,
           hide_failed: bool = False, top: float | None = None, objective: int = 0) -> list[FrozenTrial]:
    """The trials a plot shows: those in ``states`` less the hidden ones; with ``top``, only the best
    ``top`` percent of the COMPLETE trials by ``objective`` (at least one), the other states left out."""
    fraction = top_fraction(top)
    if fraction is not None:
        done = record.complete()
        keep = max(1, math.ceil(fraction * len(done)))
        sign = 1.0 if record.directions[objective] is Direction.MINIMIZE else -1.0
        ranked = sorted(done, key=lambda t: (sign * t.values[objective], t.number))[:keep]  # type: ignore[index]
        return sorted(ranked, key=lambda t: t.number)
    hidden = {TrialState.PRUNED} if hide_pruned else set()
    if hide_failed:
        hidden.add(TrialState.FAILED)
    return [t for t in record.trials if t.state in states and t.state not in hidden]


def trial_label(trial: FrozenTrial, names: Sequence[str], limit: int = 60) -> str:
    """A trial's number, values and parameters as hover text (long values cut to ``limit`` characters)."""
    lines = [f"trial {trial.number} ({trial.state.value.lower()})"]
    lines += [f"{n}={value_text(v)}" for n, v in zip(names, trial.values or [])]
    for key, value in trial.params.items():
        text = value_text(value)
        lines.append(f"{key}={text if len(text) <= limit else text[:limit - 1] + '…'}")
    return "<br>".join(hover_escape(line) for line in lines)


def hover_escape(text: Any) -> str:
    """Plotly hover text is HTML: ``<``, ``>`` and ``&`` of user values must show as themselves."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
