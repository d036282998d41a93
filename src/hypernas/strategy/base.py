"""The strategy contract: ``ask`` proposes parameters for a new trial, ``tell`` hears a result.

A strategy sees the whole history through the study it is given (complete, pruned, failed and
still-running trials) and must cope with several asks before any tell (parallel workers). Its
proposals depend only on the history, its seed and the number of the trial being proposed, or
it keeps its state with the study (``study.set_system_attr``), so that a resumed study continues
where it stopped. Strategies use the study through the small :class:`StudyView` protocol below and
never import the study machinery.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.registry import Configurable
from hypernas.space import Space
from hypernas.validate import check_int


class StudyView(Protocol):
    """What a strategy may read (and keep) from a study."""

    space: Space
    directions: list[Direction]
    seed: int | None

    def get_trials(self, states: tuple[TrialState, ...] | None = None) -> list[FrozenTrial]: ...

    @property
    def system_attrs(self) -> dict[str, Any]: ...

    def set_system_attr(self, key: str, value: Any) -> None: ...


class Strategy(Configurable, ABC):
    """How the next candidate is chosen. Subclasses implement :meth:`ask`; :meth:`tell` is optional.

    Every constructor option is kept as an attribute of the same name, so that ``to_config()``
    (from :class:`~hypernas.registry.Configurable`) describes the strategy and
    :func:`~hypernas.strategy.make_strategy` rebuilds it.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = check_int(self.name or type(self).__name__, "seed", seed, optional=True, error=StrategyError)

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
        """Parameters for ``trial`` (already numbered and RUNNING in the history)."""

    def tell(self, study: StudyView, trial: FrozenTrial) -> None:
        """Hear that ``trial`` finished (COMPLETE, PRUNED or FAILED). Default: nothing to update."""

    def budget_of(self, study: StudyView, number: int) -> float | None:
        """The budget (epochs, data fraction) a multi-fidelity strategy gave trial ``number``; None: the full one."""
        return None


def objective_sign(direction: Direction) -> float:
    """+1 to minimize as is, -1 to turn a maximized value into one to minimize."""
    return 1.0 if direction is Direction.MINIMIZE else -1.0
