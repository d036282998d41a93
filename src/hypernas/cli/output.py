"""How the study commands print trials: parameter values as their space describes them, the best
trial (or Pareto front), state counts, and a console for tables."""

from __future__ import annotations

import os
from typing import Any

from hypernas.errors import SpaceError
from hypernas.record import FrozenTrial
from hypernas.space.params import value_text
from hypernas.study import Study


def console() -> Any:
    """A rich console at least 100 columns wide (``$COLUMNS`` if wider), for tables."""
    from rich.console import Console

    return Console(width=max(100, int(os.environ.get("COLUMNS", "0") or 0)), soft_wrap=False)


def state_counts(trials: list[FrozenTrial]) -> str:
    """``"10 complete, 2 failed"``: how many trials are in each state, in order of first appearance."""
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.value.lower()] = counts.get(t.state.value.lower(), 0) + 1
    return ", ".join(f"{n} {s}" for s, n in counts.items()) or "no trials"


def param_texts(study: Study, params: dict[str, Any]) -> dict[str, str]:
    """Each parameter value as its space describes it (e.g. a chain genotype as a layer sequence)."""
    try:
        space = study.space
    except SpaceError:
        space = None
    return {k: space[k].describe(v) if space is not None and k in space else value_text(v) for k, v in params.items()}


def _split_params(study: Study, params: dict[str, Any]) -> tuple[str, list[str]]:
    """Scalar parameters on one line; architecture-like (list, mapping, long) values on lines of their own."""
    inline, own_lines = [], []
    for k, text in param_texts(study, params).items():
        if isinstance(params[k], (list, dict)) or len(text) > 40:
            own_lines.append(f"  {k}: {text}")
        else:
            inline.append(f"{k}={text}")
    return ", ".join(inline), own_lines


def print_best(study: Study) -> None:
    """Print the best trial (the Pareto front for several objectives), or that none has completed."""
    front = study.best_trials
    if not front:
        print("No complete trial yet.")
        return
    names = study.value_names()
    for t in front:
        values = ", ".join(f"{n}={value_text(v)}" for n, v in zip(names, t.values or []))
        inline, own_lines = _split_params(study, t.params)
        label = "Best trial" if len(front) == 1 and not study.is_multi_objective else "Pareto trial"
        print(f"{label} #{t.number}: {values}")
        for line in own_lines:
            print(line)
        if inline:
            print(f"  params: {inline}")
        extras = {k: v for k, v in t.user_attrs.items() if isinstance(v, (int, float, str))}
        if extras:
            print("  " + ", ".join(f"{k}={value_text(v)}" for k, v in extras.items()))
