"""YAML run configs -> validated objects: the space, the study and the objective of ``hypernas run``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hypernas.errors import ConfigError, ObjectiveError
from hypernas.estimate.pruners import make_pruner
from hypernas.estimate.registry import make_objective
from hypernas.space import Space
from hypernas.space.yaml_loading import read_yaml_file
from hypernas.study.executors import EXECUTORS
from hypernas.study.strategies import build_strategy

DirectionName = Literal["minimize", "maximize"]


class RunConfig(BaseModel):
    """Everything ``hypernas run`` needs; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, description="study name (default: the config file's stem)")
    storage: str | None = Field(None, description="SQLAlchemy URL or SQLite file path")
    space: dict[str, Any] | None = Field(None, description="parameter name -> description (with 'oneshot': the "
                                                           "search options a trial sets; default: its seed)")
    strategy: str | dict[str, Any] = "random"
    pruner: str | dict[str, Any] | None = None
    objective: str | dict[str, Any] | None = Field(None, description="'module:function' or {type: built-in, ...}")
    oneshot: dict[str, Any] | None = Field(None, description="a one-shot search run as the objective: "
                                                             "{type: darts, order: 2, epochs: 50, dataset: digits, ...}")
    n_trials: int | None = Field(None, ge=1)
    timeout: float | None = Field(None, gt=0)
    trial_timeout: float | None = Field(None, gt=0, description="seconds after which a running trial is stopped")
    seed: int | None = None
    direction: DirectionName | None = None
    directions: list[DirectionName] | None = Field(None, min_length=1)
    metrics: list[str] | None = None
    n_workers: int = Field(1, ge=1)
    executor: str | dict[str, Any] = Field("thread", description="an executor name (thread, process, ray) or a "
                                                                  "mapping {type: ray, address: auto, gpus: 0.5}")
    requeue_lost: bool = False


SPEC_FIELDS = {
    "strategy": "a strategy name such as 'tpe' or a mapping {type: tpe, ...options}",
    "pruner": "a pruner name such as 'median' or a mapping {type: asha, ...options}",
    "objective": "'module:function' or a mapping {type: train, ...options}",
    "executor": "an executor name such as 'process' or a mapping {type: ray, ...options}",
}


def _format_validation_error(source: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or "config"
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(RunConfig.model_fields)
        return f"{source}: unknown key {loc!r}; allowed keys: {allowed}"
    if err["type"] == "missing":
        return f"{source}: missing required key {loc!r}"
    field = str(err["loc"][0]) if err["loc"] else ""
    if field in SPEC_FIELDS and len(err["loc"]) > 1:  # a name-or-mapping field: pydantic reports each alternative
        return f"{source}: {field} must be {SPEC_FIELDS[field]}, got {err.get('input')!r}"
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    return f"{source}: {loc}: {err['msg']} (got {err.get('input')!r}){more}"


def parse_config(data: Any, source: str = "config") -> RunConfig:
    """Validate a config mapping; errors become one-line :class:`ConfigError` messages."""
    if not isinstance(data, Mapping):
        got = "an empty file" if data is None else f"{type(data).__name__} {data!r}"[:80]
        raise ConfigError(f"{source}: a run config must be a mapping of keys (space, objective, ...), got {got}")
    try:
        config = RunConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(source, exc)) from None
    if config.direction is not None and config.directions is not None:
        raise ConfigError(f"{source}: give either 'direction' or 'directions', not both")
    if config.objective is None and config.oneshot is None:
        raise ConfigError(f"{source}: missing required key 'objective' (or 'oneshot' for a one-shot search)")
    if config.objective is not None and config.oneshot is not None:
        raise ConfigError(f"{source}: give either 'objective' or 'oneshot', not both")
    if config.objective is not None and config.space is None and not isinstance(config.objective, str):
        raise ConfigError(f"{source}: missing required key 'space' (the parameters the objective reads; only an "
                          "objective of your own, module:function, may suggest its parameters instead)")
    if is_spos(config):
        if config.space is None:
            raise ConfigError(f"{source}: oneshot type 'spos' searches subnets: give a 'space' with the architecture "
                              "parameter they are drawn from, e.g. space: {cell: {type: nb201}}")
        if config.n_trials is None:
            raise ConfigError(f"{source}: oneshot type 'spos' searches subnets: give n_trials, the subnets to score")
    if config.oneshot is not None and config.n_trials is None:
        config = config.model_copy(update={"n_trials": 1})
    # fail early on a bad space, strategy, pruner or one-shot search, with the config named
    declared = space_of(config)
    for build in (lambda: declared is None or Space.from_config(declared), lambda: build_strategy(config.strategy, config.seed),
                  lambda: make_pruner(config.pruner), lambda: EXECUTORS.build(config.executor),
                  lambda: config.oneshot is None or oneshot_objective(config.oneshot)):
        try:
            build()
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return config


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config."""
    return parse_config(read_yaml_file(path, "config file"), str(path))


def space_of(config: RunConfig) -> dict[str, Any] | None:
    """The config's space; for a one-shot search without one, the search's seed as a fixed parameter; None for an
    objective of the user's that suggests its parameters (define-by-run)."""
    if config.space is not None:
        return config.space
    if config.objective is not None:
        return None
    seed = (config.oneshot or {}).get("seed", 0)
    return {"seed": {"type": "fixed", "value": seed}}


def is_spos(config: RunConfig) -> bool:
    """Whether the config's one-shot search is SPOS (a supernet trained once, then a study of its subnets)."""
    return _names_spos(config.oneshot)


def _names_spos(spec: Any) -> bool:
    return isinstance(spec, Mapping) and spec.get("type") == "spos"


def oneshot_objective(spec: Mapping[str, Any], progress: bool = False) -> Callable[..., Any]:
    """The objective of a config's ``oneshot:``: an :class:`~hypernas.oneshot.spos_objective.SPOSObjective` for
    ``type: spos``, else a :class:`~hypernas.oneshot.objective.OneShotObjective` (one trial, one search)."""
    if _names_spos(spec):
        from hypernas.oneshot.spos_objective import SPOSObjective  # torch only for a one-shot config

        return SPOSObjective.from_config(spec, progress=progress)
    from hypernas.oneshot.objective import OneShotObjective

    return OneShotObjective.from_config(spec, progress=progress)


def objective_of(config: RunConfig, search_path: str | Path | None = None, progress: bool = False) -> Callable[..., Any]:
    """The config's objective: its one-shot search (printing a line per epoch with ``progress``), else its
    ``objective`` (see :func:`load_objective`)."""
    if config.oneshot is not None:
        return oneshot_objective(config.oneshot, progress)
    if config.objective is None:
        raise ConfigError("a run config needs 'objective' or 'oneshot'")
    return load_objective(config.objective, search_path)


def load_objective(spec: str | Mapping[str, Any], search_path: str | Path | None = None) -> Callable[..., Any]:
    """The objective of a config: ``'module:function'`` (importable from ``search_path`` or the
    working directory) or a built-in ``{type: name, **options}``."""
    if isinstance(spec, Mapping):
        return make_objective(spec)
    module_name, sep, attr = str(spec).partition(":")
    if not sep or not module_name or not attr:
        raise ObjectiveError(f"objective {spec!r} must be 'module:function' or {{type: built-in, ...}}")
    for folder in (str(search_path) if search_path else None, str(Path.cwd())):
        if folder and folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ObjectiveError(f"objective {spec!r}: cannot import module {module_name!r} ({exc})") from None
    function: Any = module
    for part in attr.split("."):
        function = getattr(function, part, None)
        if function is None:
            raise ObjectiveError(f"objective {spec!r}: module {module_name!r} has no attribute {attr!r}")
    if not callable(function):
        raise ObjectiveError(f"objective {spec!r} is not callable")
    return function


def directions_of(config: RunConfig, objective: Any) -> list[str]:
    """The config's direction(s), else the objective's own ``direction`` attribute, else minimize."""
    if config.directions:
        return list(config.directions)
    if config.direction:
        return [config.direction]
    own = getattr(objective, "directions", None) or (
        [objective.direction] if getattr(objective, "direction", None) else None)
    return [str(d) for d in own] if own else ["minimize"]


def dump_config(config: RunConfig) -> dict[str, Any]:
    """The config as plain data, to keep with the study so ``hypernas resume`` can rebuild it."""
    return config.model_dump(mode="json", exclude_none=True)
