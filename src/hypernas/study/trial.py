"""The live trial an objective receives: its parameters, and the way to report progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

import hypernas.study.learned_space as learned_space
from hypernas.errors import SpaceError, TrialStateError
from hypernas.estimate.pruners import Pruner, PrunerStudyView
from hypernas.record import ARCH_WEIGHTS_ATTR, DECISIONS_ATTR, FrozenTrial, TrialState, as_finite_float, as_json_value
from hypernas.space import Param
from hypernas.study.storage import Storage
from hypernas.validate import check_int


class TrialStudy(PrunerStudyView, Protocol):
    """What a trial uses of its study: the record, and the pruner it hands the history to."""

    storage: Storage
    pruner: Pruner

    @property
    def name(self) -> str: ...

    def trial_artifact(self, number: int, name: str) -> bytes | None: ...

    def set_trial_artifact(self, number: int, name: str, data: bytes) -> None: ...

    def delete_trial_artifact(self, number: int, name: str) -> None: ...

    def trials_with_artifact(self, name: str) -> list[int]: ...

    def param_definition(self, name: str) -> Param | None: ...

    def learn_param(self, name: str, param: Param) -> Param: ...

    def suggestion_rng(self, number: int, name: str) -> np.random.Generator: ...


class TrialParams(dict[str, Any]):
    """A trial's parameters; one it lacks is a :class:`KeyError` that says how parameters come to be."""

    def __init__(self, params: Mapping[str, Any], number: int) -> None:
        super().__init__(params)
        self.number = number

    def __missing__(self, name: str) -> Any:
        raise KeyError(f"trial {self.number} has no parameter {name!r} (it has: {', '.join(self) or 'none'}); declare "
                       f"it in the study's space, or suggest it in the objective: trial.suggest_float({name!r}, ...)")


class Trial:
    """One evaluation in progress.

    ``params`` holds the candidate; ``report(step, value)`` records an intermediate value (e.g. the
    validation accuracy after an epoch); ``should_prune()`` asks the study's pruner whether to stop.
    ``suggest_float / suggest_int / suggest_categorical`` declare a parameter where the objective uses
    it (define-by-run, as in Optuna) and return its value for this trial.
    """

    def __init__(self, study: TrialStudy, frozen: FrozenTrial) -> None:
        self.study = study
        self.number = frozen.number
        self.trial_id = frozen.trial_id
        self.params: dict[str, Any] = TrialParams(frozen.params, frozen.number)
        self._intermediate: dict[int, float] = dict(frozen.intermediate)
        self._user_attrs: dict[str, Any] = dict(frozen.user_attrs)
        self._system_attrs: dict[str, Any] = dict(frozen.system_attrs)
        self._datetime_start = frozen.datetime_start
        self.suggested: set[str] = set()
        """The parameters this trial's objective suggested (define-by-run)."""

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params!r})"

    @property
    def intermediate(self) -> dict[int, float]:
        return dict(self._intermediate)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def budget(self) -> float | None:
        """The budget (epochs, data fraction) that a multi-fidelity strategy such as ``hyperband`` gave this
        trial up front (recorded with the trial); ``None`` when the strategy sets none and the objective uses
        its full budget."""
        decisions: dict[str, Any] = self._system_attrs.get(DECISIONS_ATTR) or {}
        return decisions.get("budget")

    # --- define-by-run ------------------------------------------------------------------------
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float:
        """A float in ``[low, high]`` (on a log scale with ``log``, a multiple of ``step`` above ``low`` with ``step``)."""
        return float(self._suggest(name, learned_space.float_param(name, low, high, step, log)))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """An integer in ``[low, high]`` (every ``step``-th from ``low``; on a log scale with ``log``)."""
        return int(self._suggest(name, learned_space.int_param(name, low, high, step, log)))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices`` (numbers, strings, booleans, None, or JSON lists and mappings)."""
        return self._suggest(name, learned_space.categorical_param(name, choices))

    def _suggest(self, name: str, param: Param) -> Any:
        """The value of ``name`` for this trial: the strategy's proposal when it modeled the parameter, else a
        draw from the parameter; the parameter is kept with the study the first time it is suggested."""
        if not isinstance(name, str) or not name:
            raise SpaceError(f"trial {self.number}: a parameter name must be a non-empty string, got {name!r}")
        kept = self.study.param_definition(name) or self.study.learn_param(name, param)
        learned_space.check_same(name, kept, param)
        if name in self.params:
            value = kept.validate(self.params[name])
        else:
            value = kept.sample(self.study.suggestion_rng(self.number, name))
            self.study.storage.set_trial_params(self.trial_id, {**self.params, name: value})
        self.params[name] = value
        self.suggested.add(name)
        return value

    @property
    def parent(self) -> int | None:
        """The number of the evaluated trial this candidate was derived from (by mutation, crossover or a
        morphism), as the strategy recorded it; ``None`` for a candidate of its own."""
        decisions: dict[str, Any] = self._system_attrs.get(DECISIONS_ATTR) or {}
        parent = decisions.get("parent")
        return parent if isinstance(parent, int) and not isinstance(parent, bool) else None

    def save_artifact(self, name: str, data: bytes) -> None:
        """Keep ``data`` (e.g. trained weights) with this trial in the study's record."""
        self.study.set_trial_artifact(self.number, name, data)

    def load_artifact(self, name: str, number: int | None = None) -> bytes | None:
        """What this trial (or trial ``number`` of the same study) keeps under ``name``, or ``None``."""
        return self.study.trial_artifact(self.number if number is None else number, name)

    def report(self, step: int, value: float) -> None:
        """Record the intermediate ``value`` at ``step`` (an epoch, a budget); a repeated step overwrites.

        Optuna's order, ``report(value, step)``, is understood too when the value is a float and the step an int
        (``trial.report(0.93, 3)``), so that a ported objective runs unchanged.
        """
        if isinstance(step, (float, np.floating)) and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            step, value = value, step
        step = check_int(f"trial {self.number}", "report step", step, 0, error=TrialStateError)
        f = as_finite_float(value)
        if f is None:
            raise TrialStateError(f"trial {self.number}: reported value at step {step} must be a finite number, got {value!r}")
        self.study.storage.set_intermediate(self.trial_id, step, f)
        self._intermediate[step] = f

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now (raise ``TrialPruned`` if so)."""
        return self.study.pruner.should_prune(self.study, self.snapshot())

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial's record (e.g. a secondary metric)."""
        value = as_json_value(value, f"trial {self.number}: user attribute {key!r}")
        self.study.storage.set_trial_attr(self.trial_id, key, value)
        self._user_attrs[key] = value

    def record_arch_weights(self, ops: Sequence[str], edges: Sequence[str],
                            weights: Mapping[str, Sequence[Sequence[float]]]) -> None:
        """Append one epoch of a one-shot search's architecture weights (``weights[cell type][edge][op]``) to the
        trial's record, where the views draw them over epochs (see :data:`~hypernas.record.ARCH_WEIGHTS_ATTR`)."""
        kept = self._system_attrs.get(ARCH_WEIGHTS_ATTR)
        if kept is None or kept["ops"] != list(ops) or kept["edges"] != list(edges):
            kept = {"ops": list(ops), "edges": list(edges), "epochs": []}
        epoch = {cell: [[float(w) for w in row] for row in rows] for cell, rows in weights.items()}
        kept = as_json_value({**kept, "epochs": [*kept["epochs"], epoch]},
                             f"trial {self.number}: architecture weights")
        self.study.storage.set_trial_attr(self.trial_id, ARCH_WEIGHTS_ATTR, kept, system=True)
        self._system_attrs[ARCH_WEIGHTS_ATTR] = kept

    def snapshot(self) -> FrozenTrial:
        """The trial as it stands, without a round trip to the storage."""
        return FrozenTrial(self.number, self.trial_id, TrialState.RUNNING, dict(self.params), None,
                           dict(self._intermediate), dict(self._user_attrs), dict(self._system_attrs),
                           self._datetime_start)
