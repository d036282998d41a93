"""Define-by-run: parameters an objective suggests (``trial.suggest_float(...)``) become the study's space.

Each suggested parameter is kept with the study the first time it is suggested (one key per name, so
workers that suggest different parameters at once lose none). The strategy models the *modeled space*:
the declared parameters and every suggested one that all complete trials have and the strategy can
model, as Optuna's relative search space (a strategy that models a parameter from the trials that have it,
as TPE, gets those some complete trial has); a parameter some trials lack (one suggested under an ``if``, or one new to the code) is
drawn at random when suggested, from a generator that depends only on the seed, the trial and the name.
When the modeled space changes (a parameter joins it, or a trial without it completes), the strategy's
saved state, fitted to the former parameters, starts afresh (as Optuna's CMA-ES restarts).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Categorical, Float, Int, Param, Space
from hypernas.space.space import param_from_config

LEARNED_PREFIX = "suggested:"
"""Study system attribute ``suggested:<name>``: the configuration of a suggested parameter."""


def float_param(name: str, low: float, high: float, step: float | None, log: bool) -> Param:
    return Float(low, high, log=log, step=step, name=name)


def int_param(name: str, low: int, high: int, step: int, log: bool) -> Param:
    return Int(low, high, log=log, step=step, name=name)


def categorical_param(name: str, choices: Sequence[Any]) -> Param:
    if isinstance(choices, (str, bytes, Mapping)) or not isinstance(choices, Sequence):
        raise SpaceError(f"parameter {name!r}: choices must be a list of values, got {choices!r}")
    return Categorical(list(choices), name=name)


def definition(param: Param) -> dict[str, Any]:
    """What makes two suggestions of a parameter the same: its configuration without name or condition."""
    config = dict(param.to_config())
    config.pop("when", None)
    config.pop("name", None)
    return config


def learned(system_attrs: Mapping[str, Any]) -> dict[str, Param]:
    """The suggested parameters kept with a study (from its system attributes), by name."""
    out: dict[str, Param] = {}
    for key, config in system_attrs.items():
        if key.startswith(LEARNED_PREFIX):
            name = key[len(LEARNED_PREFIX):]
            out[name] = param_from_config(name, config)
    return out


def check_same(name: str, kept: Param, suggested: Param) -> None:
    """Refuse a parameter suggested again with another range or other choices."""
    if definition(kept) != definition(suggested):
        raise SpaceError(f"parameter {name!r} is suggested as {definition(suggested)} but the study has it as "
                         f"{definition(kept)}; a parameter keeps one range and one set of choices in a study "
                         "(use another name for another range)")


def modeled_space(declared: Space | None, suggested: Mapping[str, Param], trials: Sequence[FrozenTrial],
                  accepts: Callable[[Param], bool], partial: bool = False) -> Space | None:
    """The declared parameters and the suggested ones every complete trial has (with ``partial``, for a strategy
    that models a parameter from the trials that have it: any complete trial; none before the first complete
    trial) that the strategy ``accepts`` (others are drawn at random, as Optuna's independent sampling); None
    when that is no parameter at all."""
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    present = any if partial else all
    shared = sorted(name for name, param in suggested.items() if complete and present(name in t.params for t in complete)
                    and (declared is None or name not in declared) and accepts(param))
    if not shared:
        return declared
    params: dict[str, Param] = dict(declared.items()) if declared is not None else {}
    params.update({name: suggested[name] for name in shared})
    return Space(params)


def suggestion_rng(seed: int | None, number: int, name: str) -> np.random.Generator:
    """The generator of a parameter the strategy did not propose: the same draw for the same seed, trial and name."""
    tag = zlib.crc32(name.encode())
    return np.random.default_rng([seed, number, tag] if seed is not None else None)
