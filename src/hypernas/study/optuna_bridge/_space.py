"""Optuna distributions <-> hypernas parameters, and a hypernas space inferred from define-by-run trials.

An Optuna objective suggests parameters as it runs, so a parameter may appear in some trials only.
hypernas declares such a parameter conditional (``when``): its presence must follow from the value of
one discrete parent. A parameter whose presence no parent explains is left out of the space (the
trials keep its values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypernas.errors import ConfigError
from hypernas.space import Categorical, Fixed, Float, Int, NumericParam, Param, Space, value_key
from hypernas.study.optuna_bridge._common import to_choice

MAX_NUMERIC_PARENT_VALUES = 32
"""The most values an int (or stepped float) parameter may take to be inferred as the condition of another."""


def param_from_distribution(name: str, dist: Any) -> Param:
    """The hypernas parameter of an Optuna Float-, Int- or CategoricalDistribution."""
    kind = type(dist).__name__
    if kind == "FloatDistribution":
        return Float(dist.low, dist.high, log=dist.log, step=dist.step, name=name)
    if kind == "IntDistribution":
        return Int(dist.low, dist.high, log=dist.log, step=dist.step, name=name)
    if kind == "CategoricalDistribution":
        return Categorical(list(dist.choices), name=name)
    raise ConfigError(f"Optuna parameter {name!r} has a {kind}, which hypernas cannot import; "
                      "allowed: FloatDistribution, IntDistribution, CategoricalDistribution")


def merged_distribution(dists: Sequence[Any]) -> Any:
    """One distribution covering every trial's distribution of a parameter: a numeric range widened between runs
    is their union (Optuna itself refuses other changes: of kind, scale, step or categorical choices)."""
    first = dists[0]
    if not hasattr(first, "low"):
        return first
    return type(first)(min(d.low for d in dists), max(d.high for d in dists), log=first.log, step=first.step)


def distribution_for(param: Param, seen: Sequence[Any]) -> Any:
    """The Optuna distribution of a hypernas parameter; ``seen`` are its values in the exported trials.

    Numbers keep their range, scale and step; categorical choices stay scalars where they are, JSON text
    where they are lists or dicts; an architecture (or any other parameter) is a categorical distribution
    over the JSON texts of the genotypes that occur, which optuna-dashboard lists and plots by name.
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(param, (Float, Int)):
        step = param.step
        if param.log or (isinstance(param, Int) and step == 1):
            step = None if isinstance(param, Float) or param.log else 1  # Optuna has no stepped log scale
        high = param.high
        if step is not None and param.cardinality is not None:
            high = param.low + (param.cardinality - 1) * step  # on the grid: Optuna would move it with a warning
        if isinstance(param, Int):
            return IntDistribution(int(param.low), int(high), log=param.log, step=int(step or 1))
        return FloatDistribution(param.low, high, log=param.log, step=step)
    if isinstance(param, Categorical):
        return CategoricalDistribution([to_choice(c) for c in param.choices])
    if isinstance(param, Fixed):
        return CategoricalDistribution([to_choice(param.value)])
    texts: dict[str, None] = {}
    for value in seen:
        texts.setdefault(to_choice(value), None)
    return CategoricalDistribution(list(texts))


def infer_space(names: Sequence[str], dists: dict[str, Any], trials: Sequence[dict[str, Any]]) -> tuple[Space | None, list[str]]:
    """The hypernas space of define-by-run trials (their params), and the parameters it leaves out.

    ``names`` are all parameters in first-seen order, ``dists`` their merged distributions; ``trials``
    are the params of the trials whose presence pattern counts (complete and pruned ones: a failed
    trial may have stopped before suggesting everything).
    """
    params = {n: param_from_distribution(n, dists[n]) for n in names}
    present = {n: [i for i, t in enumerate(trials) if n in t] for n in names}
    kept: dict[str, Param] = {}
    skipped: list[str] = []
    for name in sorted(names, key=lambda n: -len(present[n])):  # parents are present more often than children
        rows = set(present[name])
        if len(rows) == len(trials):
            kept[name] = params[name]
            continue
        parent = _explaining_parent(name, rows, kept, present, trials) if rows else None
        if parent is None:
            skipped.append(name)
            continue
        seen_with = [trials[i][parent] for i in sorted(rows)]
        seen_without = [trials[i][parent] for i in present[parent] if i not in rows]
        params[name].when = {parent: _condition_values(kept[parent], seen_with, seen_without)}
        kept[name] = params[name]
    if not kept:
        return None, skipped
    return Space({n: kept[n] for n in names if n in kept}), [n for n in names if n in skipped]


def _explaining_parent(name: str, rows: set[int], kept: dict[str, Param], present: dict[str, list[int]],
                       trials: Sequence[dict[str, Any]]) -> str | None:
    """The kept parameter, present in strictly more trials and in every trial with ``name``, whose values in the
    trials with ``name`` never occur in the trials without it: a categorical one if any, else a numeric one with at
    most :data:`MAX_NUMERIC_PARENT_VALUES` values (a wide range separates any two sets of trials by chance);
    the nearest such one (in the fewest trials)."""
    found: list[tuple[bool, int, str]] = []
    for parent, p in kept.items():
        if isinstance(p, NumericParam) and (p.cardinality is None or p.cardinality > MAX_NUMERIC_PARENT_VALUES):
            continue
        parent_rows = set(present[parent])
        if len(parent_rows) <= len(rows) or not rows <= parent_rows:
            continue
        with_name = {value_key(trials[i][parent]) for i in rows}
        without = {value_key(trials[i][parent]) for i in parent_rows - rows}
        if not with_name & without:
            found.append((isinstance(p, NumericParam), len(parent_rows), parent))
    return min(found)[2] if found else None


def _condition_values(parent: Param, seen_with: list[Any], seen_without: list[Any]) -> list[Any]:
    """The parent values that activate a child: those seen with it; for a numeric parent whose values with the
    child all lie above (or below) those without, every value of its grid on that side (``n_layers >= 3``)."""
    if isinstance(parent, NumericParam) and seen_without:
        low, high = min(seen_with), max(seen_with)
        grid = parent.grid(MAX_NUMERIC_PARENT_VALUES)
        if low > max(seen_without):
            return [v for v in grid if v >= low]
        if high < min(seen_without):
            return [v for v in grid if v <= high]
    return list({value_key(v): v for v in seen_with}.values())
