"""Copy an Optuna study (read through Optuna's own API from its RDB storage) into a hypernas study."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypernas.errors import ConfigError, HypernasError, SpaceError, StudyNotFoundError
from hypernas.estimate.pruners import Pruner
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Categorical, Fixed, Float, Int, Param, Space, value_key
from hypernas.strategy import Strategy
from hypernas.study.optuna_bridge._common import (
    FAIL_REASON,
    HYPERNAS_PREFIX,
    IMPORT_ATTR,
    OPTUNA_SYSTEM_ATTRS,
    STUDY_SPACE_ATTR,
    TRIAL_SYSTEM_ATTRS,
    finite,
    json_attrs,
    local_to_utc,
    opened,
    optuna_module,
    parse_json_text,
    study_names,
)
from hypernas.study.optuna_bridge._space import infer_space, merged_distribution
from hypernas.study.storage import Storage
from hypernas.study.storage.base import utcnow
from hypernas.study.study import Study, create_study

_STATES = {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED, "FAIL": TrialState.FAILED}


def import_optuna_study(optuna_storage: str, study_name: str, storage: Storage | str | None, name: str | None = None, *,
                        strategy: Strategy | str | Mapping[str, Any] | None = None,
                        pruner: Pruner | str | Mapping[str, Any] | None = None, seed: int | None = None) -> Study:
    """Copy Optuna study ``study_name`` from ``optuna_storage`` (an Optuna RDB URL) into a new hypernas study.

    The new study (named ``name``, default the Optuna name) gets the directions, metric names, study user
    attributes and every trial in order (numbered from 0, as Optuna numbers them) with its state, params, values, intermediate values, user attributes,
    times and error; Optuna's system attributes are kept under ``"optuna:system_attrs"``. Its space comes
    from the distributions (see :mod:`~hypernas.study.optuna_bridge._space`), so ``optimize`` continues it
    with any strategy that accepts the space, warm from the history. A RUNNING Optuna trial becomes FAILED
    (its worker is not ours to wait for); a WAITING one is enqueued. ``strategy``, ``pruner`` and ``seed`` are
    those of :func:`~hypernas.study.create_study`.
    """
    optuna = optuna_module()
    with opened(optuna_storage, must_exist=True) as source:
        try:
            ostudy = optuna.load_study(study_name=study_name, storage=source)
        except KeyError:
            known = study_names(source)
            raise StudyNotFoundError(f"no Optuna study named {study_name!r} in {optuna_storage}; "
                                     f"known: {', '.join(map(repr, known)) or 'none'}") from None
        trials = ostudy.get_trials(deepcopy=False)
        space, skipped = _space_of(trials, ostudy.user_attrs.get(STUDY_SPACE_ATTR))
        where = f"Optuna study {study_name!r}"
        converted = [_convert(t, space, where) for t in trials]
        directions = [d.name.lower() for d in ostudy.directions]
        metric_names = ostudy.metric_names
        user_attrs = {k: v for k, v in json_attrs(ostudy.user_attrs, "study user attribute").items()
                      if not k.startswith(HYPERNAS_PREFIX)}
        optuna_attrs = json_attrs(source.get_study_system_attrs(source.get_study_id_from_name(study_name)),
                                  "study system attribute")
    study = create_study(name or study_name, storage, directions=directions, metrics=metric_names, space=space,
                         strategy=strategy, pruner=pruner, seed=seed)
    try:
        for key, value in user_attrs.items():
            study.set_user_attr(key, value)
        if optuna_attrs:
            study.set_system_attr(OPTUNA_SYSTEM_ATTRS, optuna_attrs)
        study.set_system_attr(IMPORT_ATTR, {"storage": _without_password(optuna_storage), "study": study_name,
                                            "params_left_out": skipped})
        for item in converted:
            if isinstance(item, FrozenTrial):
                study.storage.add_finished_trial(study.study_id, item)
            else:
                study.enqueue(item)
    except BaseException:  # no half-copied study left under the name: the import can simply be run again
        study.storage.delete_study(study.name)
        raise
    return study


def _space_of(trials: Sequence[Any], exported: Any) -> tuple[Space | None, list[str]]:
    """The space a hypernas export stored with the study when every trial fits it, else one inferred."""
    if exported:
        try:
            space = Space.from_config(exported)
            for t in trials:
                for key, value in _params_of(t).items():
                    _value(space[key], value)  # KeyError for a parameter suggested since the export
            return space, []
        except (HypernasError, KeyError):
            pass
    names: list[str] = []
    dists: dict[str, list[Any]] = {}
    for t in trials:
        for key, dist in t.distributions.items():
            if key not in dists:
                names.append(key)
            dists.setdefault(key, []).append(dist)
    if not names:
        return None, []
    merged = {key: merged_distribution(dists[key]) for key in names}
    counted = [t.params for t in trials if t.state.name in ("COMPLETE", "PRUNED")] or [t.params for t in trials if t.params]
    return infer_space(names, merged, counted)


def _params_of(t: Any) -> dict[str, Any]:
    """What a trial holds as params: a WAITING trial's are those it was enqueued with."""
    return dict(t.system_attrs.get("fixed_params") or {}) if t.state.name == "WAITING" else dict(t.params)


def _value(p: Param, value: Any) -> Any:
    """An Optuna param value as the hypernas parameter's value (JSON text back to a genotype or list choice)."""
    if isinstance(p, Categorical):
        for c in p.choices:
            if value_key(c) == value_key(value) or (isinstance(value, str) and not isinstance(c, str)
                                                    and value_key(c) == value):
                return c
        return p.validate(value)
    if isinstance(p, (Float, Int)):
        return p.validate(value)
    if isinstance(p, Fixed):
        return p.validate(parse_json_text(value) if not isinstance(p.value, str) else value)
    try:  # an architecture: its genotype as it is (NB201's is text) or as JSON text
        return p.validate(value)
    except SpaceError:
        return p.validate(parse_json_text(value))


def _convert(t: Any, space: Space | None, where: str) -> FrozenTrial | dict[str, Any]:
    """A finished Optuna trial as the hypernas trial to add; a WAITING one as the params to enqueue."""
    params = {}
    for key, value in _params_of(t).items():
        params[key] = _value(space[key], value) if space is not None and key in space else value
    if t.state.name == "WAITING":
        return {k: v for k, v in params.items() if space is None or k in space}
    sys_attrs = dict(t.system_attrs)
    own = sys_attrs.pop(TRIAL_SYSTEM_ATTRS, None)
    error = sys_attrs.pop(FAIL_REASON, None)
    system_attrs = json_attrs(own, "trial system attribute") if isinstance(own, dict) else {}
    if sys_attrs:
        system_attrs[OPTUNA_SYSTEM_ATTRS] = json_attrs(sys_attrs, "trial system attribute")
    user_attrs = json_attrs(t.user_attrs, "trial user attribute")
    if own is not None:  # written by an export from hypernas beside the system attributes that hold them
        user_attrs = {k: v for k, v in user_attrs.items() if not k.startswith(HYPERNAS_PREFIX)}
    state = _STATES.get(t.state.name, TrialState.FAILED)
    values = list(t.values) if t.values is not None else None
    end = local_to_utc(t.datetime_complete)
    if t.state.name == "RUNNING":
        error, values, end = f"was RUNNING in {where} when it was imported", None, utcnow()
    elif not finite(values):
        error = f"its value(s) {values} in {where} are not finite, which the hypernas record cannot hold"
        state, values = TrialState.FAILED, None
    if state is TrialState.FAILED:
        values = None
        error = str(error) if error else None  # Optuna 4+ records no reason for an exception in the objective
    if space is not None and state in (TrialState.COMPLETE, TrialState.PRUNED):
        try:
            space.validate({k: v for k, v in params.items() if k in space})
        except HypernasError as exc:
            raise ConfigError(f"{where}, trial {t.number}: {exc}") from None
    intermediate = {int(s): float(v) for s, v in t.intermediate_values.items() if finite([v])}
    return FrozenTrial(t.number, -1, state, params, values, intermediate, user_attrs, system_attrs,
                       local_to_utc(t.datetime_start), end, error if state is TrialState.FAILED else None)


def _without_password(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url
