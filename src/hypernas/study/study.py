"""The study: ties a space, a strategy and a pruner to a record of trials that nothing can lose."""

from __future__ import annotations

import logging
import reprlib
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

import hypernas.study.learned_space as learned_space
from hypernas.errors import (
    ConfigError,
    DuplicateStudyError,
    HypernasError,
    InternalError,
    NoCompleteTrialError,
    SpaceError,
    StrategyError,
    TrialStateError,
)
from hypernas.estimate.pruners import Pruner, make_pruner
from hypernas.record import DECISIONS_ATTR, Direction, FrozenTrial, TrialState, as_finite_float, as_json_value, pareto_front
from hypernas.space import Param, Space, value_key
from hypernas.strategy import Strategy
from hypernas.study.contracts import Callback, Objective
from hypernas.study.executors import Executor
from hypernas.study.loop import describe_exception
from hypernas.study.optimize import run_optimization
from hypernas.study.storage import Storage, get_storage
from hypernas.study.storage.base import StudyInfo
from hypernas.study.strategies import build_strategy
from hypernas.study.trial import Trial
from hypernas.study.workers import WORKER_ATTR, is_lost, mark_done, mark_live, worker_info, worker_label
from hypernas.validate import check_seed, is_integer

if TYPE_CHECKING:
    import pandas as pd

_SPACE_KEY = "space"
_MODELED_KEY = "modeled_space"  # define-by-run: the parameters the strategy modeled at the last ask
_STRATEGY_KEY = "strategy"
_PRUNER_KEY = "pruner"
_SEED_KEY = "seed"
_STRATEGY_STATE_PREFIX = "strategy_state:"  # + the strategy's state key: its declared, JSON state
# where strategies kept their state before it was declared (some of it pickled): never read, only reported
_UNDECLARED_STATE_KEYS = ("cmaes:state", "gp:hyperparameters", "grid:stages", "hyperband:plan", "local:center",
                          "neat:generation:", "predictor:", "qlearning:q", "reinforce:state")

logger = logging.getLogger("hypernas")
_RESERVED_COLUMNS = ("number", "state", "value", "values", "datetime_start", "datetime_complete", "duration", "error")


class BadResult(ValueError):
    """An objective's return value that cannot be recorded; the trial becomes FAILED with this reason."""


class Study:
    """A named search with its record. Create one with :func:`create_study`, reopen with :func:`load_study`."""

    def __init__(self, storage: Storage, info: StudyInfo, strategy: Strategy, pruner: Pruner,
                 space: Space | None, seed: int | None) -> None:
        self.storage = storage
        self.study_id = info.study_id
        self.name = info.name
        self.directions = [Direction.parse(d) for d in info.directions]
        self.metric_names = info.metric_names
        self.strategy = strategy
        self.pruner = pruner
        self.seed = seed
        self._space = space
        self._modeled: Space | None = None  # with suggested parameters: the space the strategy models now
        self._held_state: dict[str, Any] | None = None  # saved while proposing: written once the trial exists

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, storage={self.storage.url!r}, strategy={self.strategy!r})"

    # --- the space -------------------------------------------------------------------------
    @property
    def space(self) -> Space:
        """The space the strategy searches: the declared one, with the suggested parameters every complete trial
        has (define-by-run, see :mod:`~hypernas.study.learned_space`)."""
        space = self._modeled or self._space
        if space is None:
            raise SpaceError(f"study {self.name!r} has no search space yet; pass space= to optimize() or ask(), or "
                             "suggest parameters in the objective (trial.suggest_float(...))")
        return space

    def _refresh_space(self) -> Space | None:
        """Bring the modeled space up to date with the suggested parameters and the complete trials (under the
        ask lock); the space to propose from, or None when no parameter is known before the trial runs."""
        attrs = self.storage.get_study_by_id(self.study_id).system_attrs
        suggested = learned_space.learned(attrs)
        modeled = learned_space.modeled_space(self._space, suggested, self.get_trials(), self._models,
                                              self.strategy.models_partial) if suggested else None
        self._modeled = modeled if modeled is not self._space else None
        if self._modeled is not None:
            try:
                self.strategy.check_space(self._modeled)
            except StrategyError:  # each suggested parameter fits, not all together: they are drawn at random
                self._modeled = None
        declared = list(self._space) if self._space is not None else []
        names = list(self._modeled) if self._modeled is not None else declared
        if suggested and attrs.get(_MODELED_KEY, declared) != names:
            # the strategy's saved state was fitted to another set of parameters: it starts afresh on this one
            self.storage.set_study_attr(self.study_id, _STRATEGY_STATE_PREFIX + self.strategy.state_name, None,
                                        system=True)
            self.storage.set_study_attr(self.study_id, _MODELED_KEY, names, system=True)
        return self._modeled or self._space

    def _models(self, param: Param) -> bool:
        """Whether the strategy can model ``param`` beside the declared space (one it cannot is drawn at random)."""
        try:
            self.strategy.check_space(Space({**(dict(self._space.items()) if self._space else {}), param.name: param}))
        except StrategyError:
            return False
        return True

    def param_definition(self, name: str) -> Param | None:
        """The parameter ``name`` as the study has it: declared, or kept when first suggested; None if unknown."""
        if self._space is not None and name in self._space:
            return self._space[name]
        key = learned_space.LEARNED_PREFIX + name
        config = self.storage.get_study_by_id(self.study_id).system_attrs.get(key)
        return learned_space.learned({key: config})[name] if config is not None else None

    def learn_param(self, name: str, param: Param) -> Param:
        """The parameter ``name`` as the study has it, kept as ``param`` if this is its first suggestion (under the
        ask lock: of two workers suggesting it at once, the first one's range is the study's)."""
        with self.storage.ask_lock(self.study_id):
            kept = self.param_definition(name)
            if kept is None:
                self.storage.set_study_attr(self.study_id, learned_space.LEARNED_PREFIX + name, param.to_config(),
                                            system=True)
        return kept or param

    def suggestion_rng(self, number: int, name: str) -> np.random.Generator:
        """The generator of parameter ``name`` of trial ``number`` when the strategy did not propose it."""
        seed = self.strategy.seed if self.strategy.seed is not None else self.seed
        return learned_space.suggestion_rng(seed, number, name)

    def set_space(self, space: Space | Mapping[str, Any]) -> Space:
        """Fix the study's space (stored with the study); a resumed study must keep the same one."""
        if not isinstance(space, Space):
            space = Space.from_config(space)
        if self._space is not None:
            if space != self._space:
                raise SpaceError(f"study {self.name!r} was run with a different space; "
                                 "use a new study name, or the same space to resume")
            return self._space
        self.strategy.check_space(space)
        self.storage.set_study_attr(self.study_id, _SPACE_KEY, space.to_config(), system=True)
        self._space = space
        return space

    # --- attributes ------------------------------------------------------------------------
    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self.storage.get_study_by_id(self.study_id).user_attrs)

    def set_user_attr(self, key: str, value: Any) -> None:
        self.storage.set_study_attr(self.study_id, key, as_json_value(value, f"study user attribute {key!r}"))

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self.storage.get_study_by_id(self.study_id).system_attrs)

    def set_system_attr(self, key: str, value: Any) -> None:
        self.storage.set_study_attr(self.study_id, key, value, system=True)

    def strategy_state(self, key: str) -> Any | None:
        """The state a strategy saved under ``key`` with :meth:`set_strategy_state`; None if it saved none."""
        if self._held_state is not None and key in self._held_state:
            value = self._held_state[key]
        else:
            value = self.storage.get_study_by_id(self.study_id).system_attrs.get(_STRATEGY_STATE_PREFIX + key)
        return _copy_json(value)  # the caller may change it: never the storage's own object

    def set_strategy_state(self, key: str, value: Any) -> None:
        """Save a strategy's state (JSON data only) with the study, so that a resumed study continues it.

        ``None`` clears it: the strategy then starts afresh from the trial history. State saved while
        a trial is proposed is written only once that trial exists, so a rejected proposal leaves none.
        """
        value = as_json_value(value, f"strategy state {key!r}")
        if self._held_state is not None:
            self._held_state[key] = value
        else:
            self.storage.set_study_attr(self.study_id, _STRATEGY_STATE_PREFIX + key, value, system=True)

    @contextmanager
    def _proposing(self) -> Iterator[None]:
        """Hold the strategy state saved in the block and write it when the block succeeds (its trial exists)."""
        self._held_state = {}
        try:
            yield
            held = self._held_state
        finally:
            self._held_state = None
        for key, value in held.items():
            self.storage.set_study_attr(self.study_id, _STRATEGY_STATE_PREFIX + key, value, system=True)

    # --- reading the record ----------------------------------------------------------------
    def get_trials(self, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials ordered by number, optionally only those in ``states``."""
        return self.storage.get_trials(self.study_id, states)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def direction(self) -> Direction:
        if self.is_multi_objective:
            raise ConfigError(f"study {self.name!r} has {len(self.directions)} directions; use .directions")
        return self.directions[0]

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE trial (single objective); ties go to the earliest."""
        if self.is_multi_objective:
            raise ConfigError(f"study {self.name!r} has several objectives; use best_trials for the Pareto front")
        done = self.get_trials((TrialState.COMPLETE,))
        if not done:
            raise NoCompleteTrialError(f"study {self.name!r} has no complete trial yet")
        best = done[0]
        for t in done[1:]:
            if self.directions[0].better(t.values[0], best.values[0]):  # type: ignore[index]
                best = t
        return best

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of COMPLETE trials (for one objective: the best trial)."""
        if not self.is_multi_objective:
            return [self.best_trial] if self.get_trials((TrialState.COMPLETE,)) else []
        return pareto_front(self.get_trials((TrialState.COMPLETE,)), self.directions)

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]  # type: ignore[index]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    # --- artifacts: what trials keep beside their record ------------------------------------
    def _trial_id(self, number: int) -> int:
        for t in self.get_trials():
            if t.number == number:
                return t.trial_id
        raise TrialStateError(f"study {self.name!r} has no trial number {number!r}")

    def trial_artifact(self, number: int, name: str) -> bytes | None:
        """What trial ``number`` keeps under ``name`` (the training objective keeps ``"weights"`` and
        ``"model"``), or ``None``. Plain bytes: how to read them safely is up to the caller."""
        return self.storage.get_artifact(self._trial_id(number), name)

    def set_trial_artifact(self, number: int, name: str, data: bytes) -> None:
        """Keep ``data`` under ``name`` with trial ``number`` (replacing an earlier one); removed with the study."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TrialStateError(f"trial {number}: artifact {name!r} must be bytes, got {type(data).__name__}")
        if not isinstance(name, str) or not 0 < len(name) <= 128:
            raise TrialStateError(f"trial {number}: an artifact name must be a string of 1 to 128 characters, got {name!r}")
        self.storage.put_artifact(self._trial_id(number), name, bytes(data))

    def delete_trial_artifact(self, number: int, name: str) -> None:
        """Remove what trial ``number`` keeps under ``name`` (nothing if it keeps nothing)."""
        self.storage.delete_artifact(self._trial_id(number), name)

    def trials_with_artifact(self, name: str) -> list[int]:
        """The numbers of the trials that keep an artifact under ``name``."""
        ids = set(self.storage.artifact_trials(self.study_id, name))
        return [t.number for t in self.get_trials() if t.trial_id in ids]

    # --- proposing and recording -----------------------------------------------------------
    def enqueue(self, params: Mapping[str, Any], system_attrs: dict[str, Any] | None = None) -> int:
        """Queue a configuration to be tried before the strategy's proposals; returns the trial number.

        Parameters may be partial: the missing ones are proposed by the strategy when the trial starts.
        """
        if not isinstance(params, Mapping):
            raise SpaceError(f"enqueue: parameters must be a mapping of name to value, got {params!r}"[:200])
        params = dict(params)
        if self._space is not None:
            unknown = [k for k in params if k not in self._space]
            if unknown:
                raise SpaceError(f"enqueue: unknown parameter {unknown[0]!r}; the space has: {', '.join(self._space)}")
            for k, v in params.items():
                params[k] = self._space[k].validate(v)
                when = self._space[k].when
                if when and all(parent in params for parent in when) and not self._space.is_active(k, params):
                    raise SpaceError(f"enqueue: parameter {k!r} is inactive for the given values; "
                                     f"it applies only when {self._space.when_text(k)}")
        with self.storage.ask_lock(self.study_id):
            trial = self.storage.create_trial(self.study_id, TrialState.WAITING, params=params,
                                              system_attrs=system_attrs)
        return trial.number

    def ask(self, space: Space | Mapping[str, Any] | None = None) -> Trial:
        """Start a new trial: the oldest enqueued configuration, else the strategy's proposal."""
        if space is not None:
            self.set_space(space)
        worker, label = worker_info(), worker_label()
        with self.storage.ask_lock(self.study_id):
            space = self._refresh_space()
            frozen = self.storage.claim_waiting_trial(self.study_id, worker)
            if frozen is not None:
                self.storage.set_trial_attr(frozen.trial_id, WORKER_ATTR, label, system=True)
                frozen = frozen.replace(system_attrs={**frozen.system_attrs, WORKER_ATTR: label})
                try:
                    with self._proposing():
                        params, decisions = self._complete_enqueued(space, frozen) if space is not None else \
                            (dict(frozen.params), {})
                        self.storage.set_trial_params(frozen.trial_id, params)
                        if decisions:
                            self.storage.set_trial_attr(frozen.trial_id, DECISIONS_ATTR, decisions, system=True)
                            frozen = frozen.replace(system_attrs={**frozen.system_attrs, DECISIONS_ATTR: decisions})
                except Exception as exc:
                    self.storage.finish_trial(frozen.trial_id, TrialState.FAILED,
                                              error=f"enqueued parameters rejected: {exc}")
                    if isinstance(exc, SpaceError):
                        raise SpaceError(f"enqueued trial {frozen.number} is rejected (recorded as FAILED): {exc}") from None
                    raise
            elif space is None:  # define-by-run before any parameter is known: the objective suggests them all
                params = {}
                frozen = self.storage.create_trial(self.study_id, TrialState.RUNNING, params=params, worker=worker,
                                                   system_attrs={WORKER_ATTR: label})
            else:
                with self._proposing():  # a proposal rejected here leaves the strategy's state as it was
                    provisional = FrozenTrial(self.storage.next_trial_number(self.study_id), -1, TrialState.RUNNING)
                    proposal = self.strategy.propose(self, provisional)
                    decisions = self._decisions(provisional)
                    params = space.validate(proposal)
                    attrs = {WORKER_ATTR: label, **({DECISIONS_ATTR: decisions} if decisions else {})}
                    frozen = self.storage.create_trial(self.study_id, TrialState.RUNNING, params=params, worker=worker,
                                                       system_attrs=attrs)
            mark_live(self.storage, frozen.trial_id)  # under the lock: fail_lost_trials never sees it RUNNING and not live
        return Trial(self, frozen.replace(params=params))

    def _complete_enqueued(self, space: Space, frozen: FrozenTrial) -> tuple[dict[str, Any], dict[str, Any]]:
        """The enqueued trial's parameters, the missing ones proposed by the strategy, and its decisions."""
        given = dict(frozen.params)
        unknown = [k for k in given if k not in space]
        if unknown:
            raise SpaceError(f"unknown parameter {unknown[0]!r}; the space has: {', '.join(space)}")
        try:
            return space.validate(given), {}
        except SpaceError:
            pass
        proposal = self.strategy.ask(self, frozen)
        decisions = self._decisions(frozen)
        merged = {**{k: v for k, v in proposal.items() if k in space}, **given}
        for name in given:  # a given child needs parents that activate it: set those the user left open
            for parent, allowed in space[name].when.items():
                if parent not in given and value_key(merged.get(parent)) not in {value_key(v) for v in allowed}:
                    merged[parent] = allowed[0]
        return space.complete(merged, self.strategy.rng_for(self, frozen, purpose=1), strict=True), decisions

    def _decisions(self, trial: FrozenTrial) -> dict[str, Any]:
        """What the strategy decided for ``trial`` beyond its parameters (e.g. a budget), as JSON data."""
        owner = f"strategy {self.strategy.name!r}: decisions for trial {trial.number}"
        decisions = as_json_value(self.strategy.decisions(self, trial), owner)
        if not isinstance(decisions, dict):
            raise InternalError(f"{owner} must be a dict of JSON values, got {decisions!r}")
        columns = {*_RESERVED_COLUMNS, *self.value_names()}  # named metrics are columns too
        clash = [k for k in decisions if k in columns or k.startswith(("params_", "user_attrs_", "values_"))]
        if clash:
            raise InternalError(f"{owner}: {clash[0]!r} is a column of the trial's record; use another name")
        return decisions

    def tell(self, trial: Trial | FrozenTrial | int, values: Any = None, *, state: TrialState | str | None = None,
             error: str | None = None) -> FrozenTrial:
        """Finish a RUNNING trial.

        With ``values`` (a number, a sequence, or a dict keyed by metric name) it is COMPLETE;
        ``state="PRUNED"`` keeps its last intermediate value; ``state="FAILED"`` records ``error``.
        A value that is not a finite number makes the trial FAILED with the reason.
        """
        trial_id, number = self._resolve(trial)
        if isinstance(trial, Trial) and trial.suggested:  # proposed for the space, not suggested by this trial's code
            unused = [k for k in trial.params if k not in trial.suggested and (self._space is None or k not in self._space)]
            if unused:
                self.storage.set_trial_params(trial_id, {k: v for k, v in trial.params.items() if k not in unused})
        if isinstance(state, str):
            try:
                state = TrialState(state.upper())
            except ValueError:
                raise TrialStateError(f"tell: state must be COMPLETE, PRUNED or FAILED, got {state!r}") from None
        recorded: list[float] | None = None
        if state is None or state is TrialState.COMPLETE:
            try:
                recorded = self._values_from_result(values, trial_id, number)
                state = TrialState.COMPLETE
            except BadResult as exc:
                state, error, recorded = TrialState.FAILED, str(exc), None
        elif state is TrialState.PRUNED:
            recorded = self._pruned_values(trial, trial_id)
        elif state is TrialState.FAILED:
            error = error or "failed (no reason given)"
        else:
            raise TrialStateError(f"tell: state must be COMPLETE, PRUNED or FAILED, got {state.value}")
        try:
            frozen = self.storage.finish_trial(trial_id, state, recorded, error)
        finally:
            mark_done(self.storage, trial_id)
        try:
            with self.storage.ask_lock(self.study_id):  # a strategy's state is read and saved under one lock
                if isinstance(trial, Trial) and trial.suggested:  # define-by-run: the strategy hears it in today's space
                    self._refresh_space()
                if self._modeled is None and self._space is None:  # no parameter modeled yet: nothing to hear
                    return frozen
                self.strategy.tell(self, frozen)
        except HypernasError:
            raise  # a mistake the strategy reports on purpose, e.g. a space it cannot learn from
        except Exception as exc:  # a bug in the strategy: the trial is recorded already, nothing is lost
            raise InternalError(f"strategy {self.strategy.name!r} failed on tell of trial {number} "
                                f"(the trial is recorded as {frozen.state.value}): {describe_exception(exc)}") from exc
        return frozen

    def _resolve(self, trial: Trial | FrozenTrial | int) -> tuple[int, int]:
        """The id and number of a trial of this study (a trial of another study is refused)."""
        if isinstance(trial, Trial) and isinstance(trial.study, Study):
            other = trial.study
            if other.storage.key == self.storage.key and other.study_id == self.study_id:
                return trial.trial_id, trial.number
            raise TrialStateError(f"tell: trial {trial.number} belongs to study {other.name!r}, not to {self.name!r}; "
                                  "tell it to the study that asked for it")
        if isinstance(trial, (Trial, FrozenTrial)):
            if any(t.trial_id == trial.trial_id for t in self.get_trials((TrialState.RUNNING,))):
                return trial.trial_id, trial.number
            if not any(t.trial_id == trial.trial_id for t in self.get_trials()):
                raise TrialStateError(f"tell: trial {trial.number} is not a trial of study {self.name!r}; tell it to "
                                      "the study that asked for it")
            return trial.trial_id, trial.number
        if not is_integer(trial):
            raise TrialStateError(f"tell: trial must be a Trial, a FrozenTrial or a trial number, got {trial!r}")
        for t in self.get_trials():
            if t.number == trial:
                return t.trial_id, t.number
        raise TrialStateError(f"study {self.name!r} has no trial number {trial!r}")

    def _pruned_values(self, trial: Trial | FrozenTrial | int, trial_id: int) -> list[float] | None:
        inter = trial.intermediate if isinstance(trial, (Trial, FrozenTrial)) else self.storage.get_trial(trial_id).intermediate
        if inter and not self.is_multi_objective:
            return [inter[max(inter)]]
        return None

    def _values_from_result(self, result: Any, trial_id: int, number: int) -> list[float]:
        n = len(self.directions)
        expected = "a finite float" if n == 1 else f"{n} finite floats (a sequence or a dict of {n} metrics)"
        if isinstance(result, Mapping):
            return self._values_from_dict(result, trial_id, number, expected)
        if isinstance(result, (list, tuple)):
            items = list(result)
        elif result is None:
            raise BadResult(f"objective returned None; expected {expected}")
        else:
            items = [result]
        if len(items) != n:
            raise BadResult(f"objective returned {len(items)} value(s) but the study has {n} direction(s); expected {expected}")
        out = []
        for x in items:
            f = as_finite_float(x)
            if f is None:
                raise BadResult(f"objective returned {x!r}; expected {expected}")
            out.append(f)
        return out

    def _values_from_dict(self, result: Mapping[str, Any], trial_id: int, number: int, expected: str) -> list[float]:
        n = len(self.directions)
        names = self.metric_names
        if names is None:
            if len(result) == n:
                names = [str(k) for k in result]
            elif n == 1 and "value" in result:
                names = ["value"]
            else:
                raise BadResult(f"objective returned metrics {', '.join(map(str, result))} but the study has {n} "
                                "direction(s); name the optimized ones with metrics=[...]")
            self.storage.set_metric_names(self.study_id, names)
            self.metric_names = names
        missing = [m for m in names if m not in result]
        if missing:
            raise BadResult(f"objective result lacks metric {missing[0]!r}; expected keys: {', '.join(names)}")
        values = []
        for m in names:
            f = as_finite_float(result[m])
            if f is None:
                raise BadResult(f"objective returned {result[m]!r} for metric {m!r}; expected a finite float")
            values.append(f)
        extras = {str(key): _extra_metric(key, value, number) for key, value in result.items() if key not in names}
        for key, value in extras.items():
            self.storage.set_trial_attr(trial_id, key, value)
        return values

    # --- lost trials -----------------------------------------------------------------------
    def fail_lost_trials(self, requeue: bool = False, stale_after: float = 300.0,
                         reasons: Mapping[int, str] | None = None) -> list[int]:
        """Mark RUNNING trials whose worker died as FAILED (with the reason); optionally queue them again.

        ``reasons`` gives, by trial id, why trials known to be lost are lost (an executor that saw their
        worker process end); the others are judged by :func:`~hypernas.study.workers.is_lost`. With
        ``requeue``, each lost trial not queued again yet is queued with ``requeued_from`` set to its
        number, trials interrupted by the user (Ctrl-C) included. Returns the numbers of the trials
        marked or re-queued.
        """
        touched: list[int] = []
        known = reasons or {}
        # under the ask lock: no trial of this process is between its creation and being marked live,
        # and two resuming processes queue a lost trial only once
        with self.storage.ask_lock(self.study_id):
            for running in self.storage.running_trials(self.study_id):
                reason = known.get(running.trial.trial_id) or is_lost(running, stale_after, self.storage)
                if reason is None:
                    continue
                try:
                    self.storage.set_trial_attr(running.trial.trial_id, "lost", True, system=True)
                    self.storage.finish_trial(running.trial.trial_id, TrialState.FAILED,
                                              error=f"lost: the trial was left RUNNING because {reason}")
                except TrialStateError:
                    continue  # finished meanwhile by its worker
                touched.append(running.trial.number)
            if requeue:
                trials = self.get_trials()
                done = {t.system_attrs.get("requeued_from") for t in trials}
                for t in trials:
                    if t.state is TrialState.FAILED and t.system_attrs.get("lost") and t.number not in done and t.params:
                        kept = {DECISIONS_ATTR: t.system_attrs[DECISIONS_ATTR]} if DECISIONS_ATTR in t.system_attrs else {}
                        self.storage.create_trial(self.study_id, TrialState.WAITING, params=dict(t.params),
                                                  system_attrs={"requeued_from": t.number, **kept})
                        if t.number not in touched:
                            touched.append(t.number)
        return touched

    # --- running ---------------------------------------------------------------------------
    def optimize(self, objective: Objective, space: Space | Mapping[str, Any] | None = None, *,
                 n_trials: int | None = None, timeout: float | None = None, n_workers: int = 1,
                 catch: tuple[type[BaseException], ...] = (Exception,), callbacks: Sequence[Callback[Study]] = (),
                 show_progress: bool = False, requeue_lost: bool = False,
                 executor: str | Mapping[str, Any] | Executor = "thread", trial_timeout: float | None = None) -> None:
        """Run trials until ``n_trials`` more are finished, ``timeout`` seconds pass, or the strategy is exhausted.

        ``n_workers`` evaluate trials at once: threads (``executor="thread"``, for objectives that release
        the GIL, as PyTorch training does), processes (``executor="process"``, for any picklable
        objective; the study must be in a SQL database) or Ray actors on this machine or a cluster
        (``executor="ray"``, or ``{"type": "ray", "address": "auto", "gpus": 0.5}``: see
        :mod:`hypernas.study.executors.ray`), or any registered executor, by name, as a mapping of its
        options or as an :class:`~hypernas.study.executors.Executor` object. Exceptions
        of the types in ``catch`` make a trial FAILED and the study goes on; others are recorded the same
        way and then raised. Ctrl-C marks the running trial(s) FAILED as interrupted. A trial whose worker
        died is FAILED as lost and does not count towards ``n_trials``; with ``requeue_lost`` it is run
        again (a worker process that dies is replaced, see :mod:`hypernas.study.executors.process`). No
        trial of a worker that is gone is left RUNNING when this returns or raises. ``trial_timeout`` (seconds)
        stops a trial that runs longer, at its next Python instruction, and records it FAILED with the reason.
        """
        if space is not None:
            self.set_space(space)
        run_optimization(self, objective, n_trials=n_trials, timeout=timeout, n_workers=n_workers, catch=catch,
                         callbacks=callbacks, show_progress=show_progress, requeue_lost=requeue_lost,
                         executor=executor, trial_timeout=trial_timeout)

    def handle(self) -> StudyHandle:
        """A picklable way to reopen this study in another process or machine (executors pass it to workers)."""
        return StudyHandle(self.storage.url, self.name, self.strategy, self.pruner)

    # --- export ----------------------------------------------------------------------------
    def value_names(self) -> list[str]:
        """Column names of the objective values."""
        if self.metric_names:
            return list(self.metric_names)
        return ["value"] if len(self.directions) == 1 else [f"values_{i}" for i in range(len(self.directions))]

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per trial (number, state, values, the strategy's decisions such as ``budget``,
        params_*, user_attrs_*, times, error)."""
        names = self.value_names()
        rows = []
        for t in self.get_trials():
            row: dict[str, Any] = {"number": t.number, "state": t.state.value}
            for i, name in enumerate(names):
                row[name] = t.values[i] if t.values is not None and i < len(t.values) else None
            row.update(t.system_attrs.get(DECISIONS_ATTR) or {})
            row.update({f"params_{k}": v for k, v in t.params.items()})
            row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items()})
            row["datetime_start"] = _iso(t.datetime_start)
            row["datetime_complete"] = _iso(t.datetime_complete)
            row["duration"] = t.duration
            row["error"] = t.error
            rows.append(row)
        return rows

    def to_dataframe(self) -> pd.DataFrame:
        """The trials as a pandas DataFrame, one row per trial."""
        import pandas as pd

        return pd.DataFrame.from_records(self.to_records())


@dataclass(frozen=True)
class StudyHandle:
    """Reopens a study wherever it is unpickled: its storage URL and name, and its strategy and pruner
    objects (a strategy of the user's own may not be rebuilt from its stored config)."""

    storage_url: str
    study_name: str
    strategy: Strategy | None = None
    pruner: Pruner | None = None

    def open(self) -> Study:
        """The study, from its storage."""
        return load_study(self.study_name, self.storage_url, strategy=self.strategy, pruner=self.pruner)


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts and lists copied, the rest shared): far faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _extra_metric(key: Any, value: Any, number: int) -> Any:
    """A metric the objective returned beyond the optimized ones, as the user attribute that keeps it.

    The record holds strict JSON, so NaN and infinity (a diverged auxiliary metric) are kept as
    ``None`` with a warning: the trial's optimized values are still good. Other data that JSON
    cannot hold is a :class:`BadResult`.
    """
    f = as_finite_float(value)
    if f is not None:
        return f
    try:
        return as_json_value(value, f"metric {key!r}")
    except ConfigError:
        pass
    try:
        kept = as_json_value(value, f"metric {key!r}", non_finite_as_none=True)
    except ConfigError:
        raise BadResult(f"objective returned {value!r} for metric {key!r}; expected a number or JSON data "
                        "(strings, lists, dicts) to keep as a user attribute") from None
    logger.warning("trial %d: metric %r is %s; the record holds no NaN or infinity, so it keeps None in their place",
                   number, key, reprlib.repr(value))
    return kept


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(sep=" ", timespec="seconds") if dt else None


def _directions(direction: str | Direction | None, directions: Sequence[str | Direction] | None) -> list[str]:
    if direction is not None and directions is not None:
        raise ConfigError("create_study: give either direction= or directions=, not both")
    if directions is not None:
        if isinstance(directions, (str, Direction)) or len(directions) == 0:
            raise ConfigError(f"create_study: directions must be a non-empty list such as ['maximize', 'minimize'], "
                              f"got {directions!r}")
        return [Direction.parse(d).value for d in directions]
    return [Direction.parse(direction or "minimize").value]


MAX_NAME_LENGTH = 512


def _check_study_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise ConfigError(f"create_study: a study name must be a non-blank string of printable characters, at most "
                          f"{MAX_NAME_LENGTH} long, got {name!r}"[:300])


def _check_metrics(metrics: Any, n_directions: int) -> None:
    names = [metrics] if isinstance(metrics, str) else list(metrics) if isinstance(metrics, Sequence) else None
    if names is None or isinstance(metrics, str) or len(names) != n_directions:
        raise ConfigError(f"create_study: metrics must name one value per direction ({n_directions}), got {metrics!r}")
    for m in names:
        if not isinstance(m, str) or not m:
            raise ConfigError(f"create_study: metric names must be non-empty strings, got {m!r}")
    if len(set(names)) != len(names):
        twice = next(m for m in names if names.count(m) > 1)
        raise ConfigError(f"create_study: metric {twice!r} is named twice; each optimized value needs its own name")


def create_study(name: str | None = None, storage: Storage | str | None = None, *,
                 direction: str | Direction | None = None, directions: Sequence[str | Direction] | None = None,
                 strategy: Strategy | str | Mapping[str, Any] | None = None,
                 pruner: Pruner | str | Mapping[str, Any] | None = None, seed: int | None = None,
                 space: Space | Mapping[str, Any] | None = None, metrics: Sequence[str] | None = None,
                 load_if_exists: bool = False) -> Study:
    """Create a study in ``storage`` (None: in memory; a URL or ``.db`` path: SQL).

    ``strategy`` and ``pruner`` may be objects, registered names (``"random"``, ``"grid"``, ...) or
    ``{type: name, **options}``. ``metrics`` names the objective values when the objective returns a dict.
    """
    if name is None:
        name = f"study-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    _check_study_name(name)
    seed = check_seed("create_study", seed)
    dirs = _directions(direction, directions)
    if metrics is not None:
        _check_metrics(metrics, len(dirs))
    store = get_storage(storage)
    strat = build_strategy(strategy, seed=seed)
    prun = make_pruner(pruner)
    if space is not None and not isinstance(space, Space):
        space = Space.from_config(space)
    if space is not None:
        strat.check_space(space)
    attrs = {_STRATEGY_KEY: strat.to_config(), _PRUNER_KEY: prun.to_config(), _SEED_KEY: seed,
             **({_SPACE_KEY: space.to_config()} if space is not None else {})}  # one transaction with the study
    try:
        study_id = store.create_study(name, dirs, metrics, system_attrs=attrs)
    except DuplicateStudyError:
        if not load_if_exists:
            raise
        study = load_study(name, store, strategy=strategy, pruner=pruner)  # e.g. created by another process
        given = direction is not None or directions is not None
        if given and [d.value for d in study.directions] != dirs:
            raise ConfigError(f"study {name!r} exists with direction(s) {', '.join(d.value for d in study.directions)}, "
                              f"not {', '.join(dirs)}; use a new study name to change them") from None
        if space is not None:
            study.set_space(space)
        return study
    return Study(store, store.get_study_by_id(study_id), strat, prun, space, seed)


def load_study(name: str, storage: Storage | str | None, *, strategy: Strategy | str | Mapping[str, Any] | None = None,
               pruner: Pruner | str | Mapping[str, Any] | None = None) -> Study:
    """Reopen a study; its strategy, pruner, seed and space are restored unless given here.

    Nothing is created: a storage that does not exist or holds no hypernas record is a :class:`StorageError`.
    """
    store = get_storage(storage, must_exist=True)
    info = store.get_study(name)
    attrs = info.system_attrs
    seed = attrs.get(_SEED_KEY)
    try:
        strat = build_strategy(strategy if strategy is not None else attrs.get(_STRATEGY_KEY), seed=seed)
    except StrategyError as exc:
        raise StrategyError(f"study {name!r}: its strategy cannot be rebuilt ({exc}); pass strategy= to load_study") from None
    prun = make_pruner(pruner if pruner is not None else attrs.get(_PRUNER_KEY))
    undeclared = sorted(k for k in attrs if k.startswith(_UNDECLARED_STATE_KEYS))
    if undeclared:
        logger.warning("study %r: strategy state in an old format (%s) is ignored; the strategy continues from the "
                       "trial history", name, ", ".join(undeclared))
    space = Space.from_config(attrs[_SPACE_KEY]) if attrs.get(_SPACE_KEY) else None
    return Study(store, info, strat, prun, space, seed)


def delete_study(name: str, storage: Storage | str) -> None:
    """Remove a study and all its trials from ``storage``."""
    get_storage(storage, must_exist=True).delete_study(name)


def study_names(storage: Storage | str) -> list[str]:
    """Names of the studies in ``storage`` (which must exist)."""
    return get_storage(storage, must_exist=True).study_names()
