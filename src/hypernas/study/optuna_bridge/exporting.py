"""Copy a hypernas study into an Optuna RDB storage, where Optuna and optuna-dashboard read it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hypernas.errors import ConfigError, DuplicateStudyError
from hypernas.record import DECISIONS_ATTR, FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.study.optuna_bridge._common import (
    FAIL_REASON,
    HYPERNAS_PREFIX,
    OPTUNA_SYSTEM_ATTRS,
    STUDY_SPACE_ATTR,
    TRIAL_SYSTEM_ATTRS,
    json_attrs,
    opened,
    optuna_module,
    to_choice,
    utc_to_local,
)
from hypernas.study.optuna_bridge._space import distribution_for
from hypernas.study.storage import Storage
from hypernas.study.storage.base import utcnow
from hypernas.study.study import Study, load_study

_STATES = {TrialState.COMPLETE: "COMPLETE", TrialState.PRUNED: "PRUNED", TrialState.FAILED: "FAIL",
           TrialState.RUNNING: "FAIL"}


def export_to_optuna(study: Study | str, optuna_storage: str, study_name: str | None = None, *,
                     storage: Storage | str | None = None) -> Any:
    """Copy a hypernas study (a :class:`Study`, or its name with ``storage``) into a new Optuna study in
    ``optuna_storage`` (an Optuna RDB URL), named ``study_name`` (default: the hypernas name); returns the
    ``optuna.Study``.

    Each trial keeps its params (with matching distributions; an architecture as the JSON text of its
    genotype, a categorical choice over the genotypes that occur), values, state, intermediate values, JSON
    user attributes and times; the strategy's decisions (budget, parent) become user attributes
    ``hypernas:<key>``, the hypernas system attributes one system attribute ``hypernas:system_attrs``, and
    the space the study user attribute ``hypernas:space``, so that importing it back restores all of them.
    A RUNNING trial becomes FAIL with the reason; a WAITING one is enqueued.
    """
    optuna = optuna_module()
    if isinstance(study, str):
        study = load_study(study, storage, strategy="random", pruner="none")  # its own strategy need not be importable
    trials = study.trials
    distributions = _distributions(study._space, trials)
    name = study_name or study.name
    with opened(optuna_storage, must_exist=False) as target:
        try:
            ostudy = optuna.create_study(storage=target, study_name=name, directions=[d.value for d in study.directions])
        except optuna.exceptions.DuplicatedStudyError:
            raise DuplicateStudyError(f"an Optuna study named {name!r} already exists in {optuna_storage}; "
                                      "choose another name with study_name (--name)") from None
        if study.metric_names:
            with warnings.catch_warnings():  # experimental in Optuna 3.2 to 5
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                ostudy.set_metric_names(list(study.metric_names))
        for key, value in study.user_attrs.items():
            ostudy.set_user_attr(key, value)
        if study._space is not None:
            ostudy.set_user_attr(STUDY_SPACE_ATTR, study._space.to_config())
        study_id = target.get_study_id_from_name(name)
        for key, value in (study.system_attrs.get(OPTUNA_SYSTEM_ATTRS) or {}).items():
            target.set_study_system_attr(study_id, key, value)
        for t in trials:
            params = {k: to_choice(v) for k, v in t.params.items()}
            if t.state is TrialState.WAITING:
                ostudy.enqueue_trial(params)
            else:
                ostudy.add_trial(_frozen(optuna, t, params, distributions, len(study.directions), study.name))
    return ostudy


def _distributions(space: Space | None, trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    """One Optuna distribution per parameter in the trials (of the space's parameter where it has one)."""
    seen: dict[str, list[Any]] = {}
    for t in trials:
        for key, value in t.params.items():
            seen.setdefault(key, []).append(value)
    if space is None:
        if seen:
            raise ConfigError("the study's trials have parameters but the study has no space to say their ranges")
        return {}
    from optuna.distributions import CategoricalDistribution

    out = {}
    for key, values in seen.items():
        if key in space:
            out[key] = distribution_for(space[key], values)
        else:  # a parameter the space no longer has: the values that occur
            out[key] = CategoricalDistribution(list(dict.fromkeys(to_choice(v) for v in values)))
    return out


def _frozen(optuna: Any, t: FrozenTrial, params: dict[str, Any], distributions: dict[str, Any], n_values: int,
            study_name: str) -> Any:
    """The Optuna trial to add for a finished (or RUNNING) hypernas trial."""
    state = _STATES[t.state]
    values = list(t.values) if t.values is not None and len(t.values) == n_values and state != "FAIL" else None
    if state == "COMPLETE" and values is None:
        state = "FAIL"
    user_attrs = json_attrs(t.user_attrs, "trial user attribute")
    decisions = t.system_attrs.get(DECISIONS_ATTR)
    if isinstance(decisions, dict):
        user_attrs.update(json_attrs({HYPERNAS_PREFIX + str(k): v for k, v in decisions.items()}, "decision"))
    own = {k: v for k, v in t.system_attrs.items() if k != OPTUNA_SYSTEM_ATTRS}
    system_attrs = dict(t.system_attrs.get(OPTUNA_SYSTEM_ATTRS) or {})
    if own:
        system_attrs[TRIAL_SYSTEM_ATTRS] = json_attrs(own, "trial system attribute")
    end: datetime | None = utc_to_local(t.datetime_complete)
    if t.state is TrialState.RUNNING:
        system_attrs[FAIL_REASON] = f"was RUNNING in hypernas study {study_name!r} when it was exported"
        end = utc_to_local(utcnow())
    elif t.error:
        system_attrs[FAIL_REASON] = t.error
    start = utc_to_local(t.datetime_start) or end
    return optuna.trial.FrozenTrial(
        number=t.number, state=optuna.trial.TrialState[state], value=None, values=values, datetime_start=start,
        datetime_complete=end, params=params, distributions={k: distributions[k] for k in params},
        user_attrs=user_attrs, system_attrs=system_attrs, intermediate_values=dict(t.intermediate), trial_id=0)
