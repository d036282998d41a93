"""The strategy contract: ``ask`` proposes parameters for a new trial, ``tell`` hears a result.

A strategy sees the whole history through the study it is given (complete, pruned, failed and
still-running trials) and must cope with several asks before any tell (parallel workers). Its
proposals depend only on the history, its seed and the number of the trial being proposed, or on
its declared state: JSON data it saves with the study under its :attr:`Strategy.state_key`
(:meth:`Strategy.save_state`), so that a resumed study continues where it stopped. What it
decides for a trial beyond its parameters (a budget) it reports through :meth:`Strategy.decisions`,
and the study records it with the trial. Strategies use the study through the small
:class:`StudyView` protocol below and never import the study machinery.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.registry import Configurable
from hypernas.space import Space
from hypernas.validate import check_seed


class StudyView(Protocol):
    """What a strategy may read (and keep) from a study."""

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

    def __init__(self, seed: int | None = None) -> None:
        self.seed = check_seed(self.name or type(self).__name__, seed, error=StrategyError)

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

    def tell(self, study: StudyView, trial: FrozenTrial) -> None:
        """Hear that ``trial`` finished (COMPLETE, PRUNED or FAILED), under the same lock as :meth:`ask`.

        The trial is recorded before this runs, so an error here loses nothing. Default: nothing to update.
        """

    def decisions(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        """What this strategy decided for ``trial`` beyond its parameters (JSON values, e.g. ``{"budget": 9}``).

        The study calls it right after :meth:`ask` and records the answer with the trial, where the
        objective reads it (``trial.budget``) and ``to_dataframe()`` shows it. Default: nothing.
        """
        return {}

    # --- the declared state ----------------------------------------------------------------
    @property
    def state_name(self) -> str:
        """The key the state is kept under: :attr:`state_key`, else the registered name."""
        return self.state_key or self.name or type(self).__name__

    def load_state(self, study: StudyView) -> Any | None:
        """The state this strategy saved with ``study`` (None before the first save)."""
        return study.strategy_state(self.state_name)

    def save_state(self, study: StudyView, value: Any) -> None:
        """Keep ``value`` (JSON data: numbers, strings, lists, dicts, None) with ``study``."""
        study.set_strategy_state(self.state_name, value)


def objective_sign(direction: Direction) -> float:
    """+1 to minimize as is, -1 to turn a maximized value into one to minimize."""
    return 1.0 if direction is Direction.MINIMIZE else -1.0
