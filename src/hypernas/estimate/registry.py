"""Built-in objectives by name, for configs such as ``objective: {type: train, dataset: digits}``.

Entries are import paths, loaded only when used, so that naming an objective never imports
heavy modules (torch, data loaders) that the chosen one does not need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from hypernas.errors import ObjectiveError

# name -> "module:factory"; the factory takes the config's options and returns objective(trial)
OBJECTIVES: dict[str, str] = {}
OBJECTIVES["train"] = "hypernas.estimate.train.objective:TrainingObjective"
OBJECTIVES["nb201"] = "hypernas.estimate.tabular:NB201Benchmark"


def register_objective(name: str, target: str) -> None:
    """Make ``objective: {type: name, ...}`` build ``target`` (``"package.module:factory"``) with the options."""
    OBJECTIVES[name] = target


def make_objective(spec: Mapping[str, Any]) -> Callable[..., Any]:
    """Build a built-in objective from ``{type: name, **options}``."""
    options = dict(spec)
    name = options.pop("type", None)
    if name not in OBJECTIVES:
        raise ObjectiveError(f"unknown objective type {name!r}; built-in objectives: {', '.join(sorted(OBJECTIVES)) or 'none'}"
                             " (or give 'module:function')")
    module_name, _, attr = OBJECTIVES[name].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    try:
        return factory(**options)
    except TypeError as exc:
        raise ObjectiveError(f"objective {name!r}: {exc}") from None
