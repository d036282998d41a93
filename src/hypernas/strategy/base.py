"""The strategy contract: ``ask`` proposes parameters for a new trial, ``tell`` hears a result.

A strategy sees the whole history through the study it is given (complete, pruned, failed and
still-running trials) and must cope with several asks before any tell (parallel workers). Its
proposals depend only on the history, its seed and the number of the trial being proposed, or on
its declared state: JSON data it saves with the study under its :attr:`Strategy.state_key`
(:meth:`Strategy.save_state`), so that a resumed study continues where it stopped; it declares the
form of that state in :meth:`Strategy.check_state` with the ``state_*`` checks below, so that a
record damaged or written by another program ends in one clear error instead of a crash. What it
decides for a trial beyond its parameters (a budget) it reports through :meth:`Strategy.decisions`,
and the study records it with the trial. Strategies use the study through the small
:class:`StudyView` protocol below and never import the study machinery.
"""

from __future__ import annotations

import math
import reprlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np

from hypernas.errors import SpaceError, StorageError, StrategyError
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.registry import Configurable
from hypernas.space import Space
from hypernas.strategy.pending import PURPOSE, apart_from_pending, pending_keys
from hypernas.validate import check_seed, range_text


class StudyView(Protocol):
    """What a strategy may read (and keep) from a study."""

    @property
    def name(self) -> str: ...

    @property
    def space(self) -> Space: ...

    @property
    def directions(self) -> list[Direction]: ...

    @property
    def seed(self) -> int | None: ...

    def get_trials(self, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]: ...

    def strategy_state(self, key: str) -> Any | None:
        """A copy of the JSON value saved under ``key`` (None if nothing was saved)."""

    def set_strategy_state(self, key: str, value: Any) -> None:
        """Save ``value`` (JSON data) under ``key`` with the study."""


class Strategy(Configurable, ABC):
    """How the next candidate is chosen. Subclasses implement :meth:`ask`; :meth:`tell` is optional.

    Every constructor option is kept as an attribute of the same name, so that ``to_config()``
    (from :class:`~hypernas.registry.Configurable`) describes the strategy and
    :func:`~hypernas.strategy.make_strategy` rebuilds it.
    """

    state_key: ClassVar[str] = ""
    """Where the strategy's state is kept with the study; empty: its registered name."""

    models_partial: ClassVar[bool] = False
    """Whether the strategy models a parameter only some trials of the history have, from those that have it (as
    TPE does): define-by-run then hands it the parameters a trial's code suggested only under an ``if``."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = check_seed(self.name or type(self).__name__, seed, error=StrategyError)

    @property
    def _derived(self) -> dict[int, dict[str, Any]]:
        """Trial number -> what :meth:`ask` derived it from, until :meth:`decisions` records it."""
        return self.__dict__.setdefault("_derived_from", {})  # also for a subclass that skips __init__

    def derived_from(self, trial: FrozenTrial, parent: FrozenTrial, **details: Any) -> None:
        """Note, in :meth:`ask`, that the proposal for ``trial`` derives from the evaluated ``parent`` (a mutation,
        a crossover's fitter parent, a neighbour, a morphism): :meth:`decisions` then records ``{"parent": number,
        **details}`` with the trial, where a training objective finds the parent's weights to inherit."""
        self._derived[trial.number] = {"parent": parent.number, **details}

    def rng_for(self, study: StudyView, trial: FrozenTrial, purpose: int = 0) -> np.random.Generator:
        """A generator that depends only on the seed and the trial number: resumes reproduce proposals."""
        seed = self.seed if self.seed is not None else study.seed
        if seed is None:
            return np.random.default_rng()
        return np.random.default_rng([int(seed), int(trial.number), purpose])

    def check_space(self, space: Space) -> None:
        """Raise :class:`~hypernas.errors.StrategyError` if this strategy cannot search ``space``."""

    @abstractmethod
    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        """Parameters for ``trial``.

        ``study.get_trials()`` then holds, in number order, every trial created before: COMPLETE,
        PRUNED and FAILED ones, RUNNING ones (asked by any worker and not told yet; their
        parameters are final) and WAITING ones (enqueued, not started yet; their parameters may be
        partial). ``trial`` is one of two kinds:

        - a new trial: it is not in the history yet, its number is the next one (the number of
          trials in the history), and the history has no WAITING trial (those are started first);
        - an enqueued trial whose given parameters are incomplete: it is in the history, RUNNING
          with the given parameters; the proposal fills only the missing ones.

        The study holds its lock meanwhile: no other ask or tell of the same study runs, so state
        read and saved here stays consistent.
        """

    def propose(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        """What the study runs for a new ``trial``: :meth:`ask`'s proposal, moved when a still-running trial has it.

        Parallel workers must not evaluate one configuration twice at once: a proposal that a RUNNING
        trial already has is replaced by the nearest one that none has
        (:func:`~hypernas.strategy.pending.apart_from_pending`, with this strategy's generator for the
        trial), unless it :meth:`repeats` one on purpose. Without pending trials, as in a sequential search, it is
        :meth:`ask`'s proposal as is.
        """
        params = self.ask(study, trial)
        space = study.space
        running = [t for t in study.get_trials((TrialState.RUNNING,)) if t.number != trial.number]
        if not running:
            return params
        params = space.validate(params)  # canonical values to compare (one out of the space fails as in the study)
        if space.key(params) not in pending_keys(space, running, trial.number) or self.repeats(study, trial):
            return params
        derived = self._derived.get(trial.number)
        if derived is not None:  # moved: still near its parent, but no longer what the details describe
            self._derived[trial.number] = {"parent": derived["parent"]}
        return apart_from_pending(space, params, study.get_trials(), trial.number,
                                  self.rng_for(study, trial, purpose=PURPOSE))

    def repeats(self, study: StudyView, trial: FrozenTrial) -> bool:
        """Whether the proposal for ``trial`` (just asked) repeats a configuration on purpose, e.g. a promotion to a
        larger budget, so that :meth:`propose` never moves it. Default: no."""
        return False

    def tell(self, study: StudyView, trial: FrozenTrial) -> None:
        """Hear that ``trial`` finished (COMPLETE, PRUNED or FAILED), under the same lock as :meth:`ask`.

        The trial is recorded before this runs, so an error here loses nothing. Default: nothing to update.
        """

    def decisions(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        """What this strategy decided for ``trial`` beyond its parameters (JSON values, e.g. ``{"budget": 9}``).

        The study calls it right after :meth:`ask` and records the answer with the trial, where the
        objective reads it (``trial.budget``) and ``to_dataframe()`` shows it. Default: the parent noted by
        :meth:`derived_from`, if any.
        """
        return self._derived.pop(trial.number, {})

    # --- the declared state ----------------------------------------------------------------
    @property
    def state_name(self) -> str:
        """The key the state is kept under: :attr:`state_key`, else the registered name."""
        return self.state_key or self.name or type(self).__name__

    def check_state(self, study: StudyView, state: Any) -> Any:
        """``state`` (JSON data, not None) as this strategy uses it, or :class:`BadState` naming the first part
        that is not what the strategy saves. A strategy that keeps state declares its form here with the
        ``state_*`` checks of this module. Default: any JSON data."""
        return state

    def load_state(self, study: StudyView) -> Any | None:
        """The state this strategy saved with ``study`` (None before the first save), checked by :meth:`check_state`.

        Raises :class:`~hypernas.errors.StorageError` when the stored state is malformed: the trials are the
        record and nothing is lost, but the strategy does not guess how to go on without its state.
        """
        state = study.strategy_state(self.state_name)
        if state is None:
            return None
        try:
            return self.check_state(study, state)
        except BadState as exc:
            raise StorageError(
                f"study {study.name!r}: the stored state of strategy {self.name or type(self).__name__!r} is malformed "
                f"({exc}); it was written by another program or version, or is damaged: clear it with "
                f"study.set_strategy_state({self.state_name!r}, None) to continue from the trial history, or start a "
                "new study") from None

    def save_state(self, study: StudyView, value: Any) -> None:
        """Keep ``value`` (JSON data: numbers, strings, lists, dicts, None) with ``study``."""
        study.set_strategy_state(self.state_name, value)


def objective_sign(direction: Direction) -> float:
    """+1 to minimize as is, -1 to turn a maximized value into one to minimize."""
    return 1.0 if direction is Direction.MINIMIZE else -1.0


# --- the declared form of a strategy's state ------------------------------------------------
class BadState(StorageError):
    """A part of a stored strategy state that is not what the strategy saves; ``where`` names the part."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")

    @classmethod
    def expected(cls, where: str, what: str, value: Any) -> BadState:
        """``<where>: expected <what>, got <value>`` (the value shortened to fit one line)."""
        return cls(where, f"expected {what}, got {reprlib.repr(value)}")


def _is_int(v: Any) -> bool:
    return type(v) is int  # JSON data: no NumPy numbers, and a bool is no count


def _is_finite(v: Any) -> bool:
    return (type(v) is int or type(v) is float) and math.isfinite(v)


def state_dict(value: Any, where: str, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """``value`` as a dict; with ``keys``, exactly those keys."""
    if not isinstance(value, dict):
        raise BadState.expected(where, "a dict" + (f" with keys {', '.join(keys)}" if keys else ""), value)
    if keys is not None:
        missing = [k for k in keys if k not in value]
        if missing:
            raise BadState(where, f"missing key {reprlib.repr(missing[0])}")
        unknown = [k for k in value if k not in keys]
        if unknown:
            raise BadState(where, f"unknown key {reprlib.repr(unknown[0])}; expected {', '.join(keys)}")
    return value


def state_list(value: Any, where: str, length: int | None = None) -> list[Any]:
    """``value`` as a list, of ``length`` items when given."""
    if not isinstance(value, list) or (length is not None and len(value) != length):
        items = "" if length is None else f" of {length} item{'' if length == 1 else 's'}"
        raise BadState.expected(where, "a list" + items, value)
    return value


def state_int(value: Any, where: str, low: int = 0, high: int | None = None) -> int:
    """``value`` as an integer in ``[low, high]`` (a count or an index: ``low`` is 0 unless given)."""
    if not _is_int(value) or value < low or (high is not None and value > high):
        raise BadState.expected(where, "an integer" + range_text(low, math.inf if high is None else high), value)
    return value


def state_ints(values: Any, where: str, low: int = 0) -> list[int]:
    """``values`` as a list of integers ``>= low`` (trial numbers, counts)."""
    if not isinstance(values, list):
        raise BadState.expected(where, f"a list of integers >= {low}", values)
    if not all(_is_int(v) and v >= low for v in values):
        i = next(i for i, v in enumerate(values) if not (_is_int(v) and v >= low))
        raise BadState.expected(f"{where}[{i}]", f"an integer >= {low}", values[i])
    return values


def state_number(value: Any, where: str, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite number between ``low`` and ``high`` (an end excluded when open)."""
    if not _is_finite(value) or not (low < value if low_open else low <= value) or \
            not (value < high if high_open else value <= high):
        bounds = range_text(low, high, low_open, high_open)
        raise BadState.expected(where, "a number" + bounds if bounds else "a finite number", value)
    return value


def state_numbers(values: Any, where: str, length: int | None = None) -> list[float]:
    """``values`` as a list of finite numbers, of ``length`` items when given."""
    if not isinstance(values, list) or (length is not None and len(values) != length):
        raise BadState.expected(where, "a list of finite numbers" if length is None else f"a list of {length} finite numbers",
                        values)
    if not all(_is_finite(v) for v in values):
        i = next(i for i, v in enumerate(values) if not _is_finite(v))
        raise BadState.expected(f"{where}[{i}]", "a finite number", values[i])
    return values


def state_array(value: Any, where: str, max_depth: int = 8) -> Any:
    """``value`` as a tensor's ``tolist()``: a finite number or nested lists of them, all of one shape."""
    def shape(v: Any, at: str, depth: int) -> tuple[int, ...]:
        if _is_finite(v):
            return ()
        if not isinstance(v, list) or depth >= max_depth:
            raise BadState.expected(at, "a finite number or a list of them", v)
        shapes = {shape(x, f"{at}[{i}]", depth + 1) for i, x in enumerate(v)}
        if len(shapes) > 1:
            raise BadState.expected(at, "nested lists of one shape", v)
        return (len(v), *(shapes.pop() if shapes else ()))

    shape(value, where, 0)
    return value


def state_index(key: Any, where: str) -> int:
    """A dict key that holds a count or a trial number: an integer >= 0 written in decimal, as ``str(n)`` gives."""
    if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 18 and str(int(key)) == key):
        raise BadState.expected(where, "keys that are integers >= 0 in decimal", key)
    return int(key)


def state_params(space: Space, value: Any, where: str) -> dict[str, Any]:
    """``value`` as a configuration of ``space`` (as given: the strategy proposes it as it saved it)."""
    if not isinstance(value, dict):
        raise BadState.expected(where, "a configuration (a dict of parameter values)", value)
    try:
        space.validate(value)
    except SpaceError as exc:
        raise BadState(where, f"not a configuration of the space: {exc}") from None
    return value
