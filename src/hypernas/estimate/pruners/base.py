"""The pruner contract: decide, from a trial's intermediate values and the history, whether to stop it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from hypernas.errors import ConfigError
from hypernas.record import Direction, FrozenTrial, TrialState
from hypernas.registry import Configurable, Registry


class PrunerStudyView(Protocol):
    """What a pruner may read from a study."""

    @property
    def directions(self) -> list[Direction]: ...

    def get_trials(self, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]: ...


class Pruner(Configurable, ABC):
    """Stops unpromising trials early. ``should_prune`` is asked after each ``trial.report``.

    A pruner keeps each constructor option as an attribute of the same name, so that ``to_config``
    (from :class:`~hypernas.registry.Configurable`) describes it and ``make_pruner`` rebuilds it.
    """

    @abstractmethod
    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        """Whether the RUNNING ``trial`` (with its intermediate values so far) should stop now."""

    @property
    def owner(self) -> str:
        """How messages about this pruner's options name it."""
        return f"pruner {self.name!r}"


PRUNERS: Registry[type[Pruner]] = Registry("pruner")
"""The pruners by name; add one with ``@PRUNERS.register("name")``."""


@PRUNERS.register("none")
class NoPruner(Pruner):
    """Never prunes."""

    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        return False


def make_pruner(spec: Pruner | str | Mapping[str, Any] | None) -> Pruner:
    """A pruner from an object, a registered name, or ``{type: name, **options}``; None means no pruning."""
    if isinstance(spec, Pruner):
        return spec
    if spec is None:
        return NoPruner()
    if not isinstance(spec, (str, Mapping)):
        raise ConfigError(f"pruner must be a name, a mapping or a Pruner object, got {spec!r}")
    pruner: Pruner = PRUNERS.build(spec)
    return pruner
