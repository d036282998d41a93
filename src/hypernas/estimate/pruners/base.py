"""The pruner contract: decide, from a trial's intermediate values and the history, whether to stop it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from hypernas.errors import ConfigError
from hypernas.record import Direction, FrozenTrial, TrialState

PRUNERS: dict[str, type[Pruner]] = {}


class PrunerStudyView(Protocol):
    """What a pruner may read from a study."""

    directions: list[Direction]

    def get_trials(self, states: tuple[TrialState, ...] | None = None) -> list[FrozenTrial]: ...


class Pruner(ABC):
    """Stops unpromising trials early. ``should_prune`` is asked after each ``trial.report``."""

    name: ClassVar[str] = ""

    @abstractmethod
    def should_prune(self, study: PrunerStudyView, trial: FrozenTrial) -> bool:
        """Whether the RUNNING ``trial`` (with its intermediate values so far) should stop now."""

    def to_config(self) -> dict[str, Any]:
        return {"type": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.to_config().items() if k != 'type')})"


def register_pruner(name: str) -> Callable[[type[Pruner]], type[Pruner]]:
    """Class decorator: make a pruner available under ``name``."""

    def decorate(cls: type[Pruner]) -> type[Pruner]:
        cls.name = name
        PRUNERS[name] = cls
        return cls

    return decorate


@register_pruner("none")
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
    options: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("type", None)
    elif isinstance(spec, str):
        name = spec
    else:
        raise ConfigError(f"pruner must be a name, a mapping or a Pruner object, got {spec!r}")
    cls = PRUNERS.get(str(name).lower()) if name is not None else None
    if cls is None:
        raise ConfigError(f"unknown pruner {name!r}; known pruners: {', '.join(sorted(PRUNERS))}")
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigError(f"pruner {name!r}: {exc}") from None
