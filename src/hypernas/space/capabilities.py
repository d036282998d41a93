"""What an architecture space offers beyond the :class:`~hypernas.space.Param` contract.

Each capability is a protocol: a space offers it by having its methods, and declares it by
subclassing the protocol (as the built-in spaces do; the methods are then abstract, so a missing
one is an error when the class is used). Strategies test ``isinstance(param, Tokenizable)`` and
so on: a capability a strategy merely uses when present (crossover for NEAT) needs no check, one
it cannot work without is refused up front with :func:`missing_capability`'s message.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hypernas.errors import ConfigError, SpaceError
from hypernas.space.params import PARAM_TYPES


@runtime_checkable
class Tokenizable(Protocol):
    """A genotype as a fixed number of discrete tokens (for sequence controllers and gene models)."""

    @abstractmethod
    def token_choices(self) -> list[int]:
        """How many choices each token position has (the same list for every genotype)."""

    @abstractmethod
    def to_tokens(self, value: Any) -> list[int]:
        """The tokens of genotype ``value``: one per position, ``0 <= tokens[i] < token_choices()[i]``."""

    @abstractmethod
    def from_tokens(self, tokens: Sequence[int]) -> Any:
        """A valid genotype for any token sequence (repaired where needed); undoes :meth:`to_tokens`."""


@runtime_checkable
class Crossable(Protocol):
    """Two genotypes can be recombined inside (not only taken whole from one parent)."""

    @abstractmethod
    def crossover(self, a: Any, b: Any, rng: np.random.Generator) -> Any:
        """A valid child genotype made of parts of the parents ``a`` and ``b``."""


@runtime_checkable
class HasDistance(Protocol):
    """A gene-level distance between genotypes (for speciation)."""

    @abstractmethod
    def distance(self, a: Any, b: Any) -> float:
        """How many genes differ between ``a`` and ``b``: 0 for equal genotypes, 1 for neighbours."""


@runtime_checkable
class HasFeatures(Protocol):
    """A numeric description made for accuracy predictors (e.g. the NB201 path encoding)."""

    @abstractmethod
    def features(self, value: Any) -> list[float]:
        """Numbers describing genotype ``value``, the same length for every genotype."""


@runtime_checkable
class Growable(Protocol):
    """Structural moves: a genotype can gain or lose a part (an edge, a layer, a block)."""

    @abstractmethod
    def grow(self, value: Any, rng: np.random.Generator) -> Any | None:
        """A valid genotype with one part more than ``value``; ``None`` if none can be added."""

    @abstractmethod
    def shrink(self, value: Any, rng: np.random.Generator) -> Any | None:
        """A valid genotype with one part fewer than ``value``; ``None`` if none can be removed."""


@runtime_checkable
class Morphable(Protocol):
    """Function-preserving moves (network morphisms): a child network can start from its parent's weights and
    compute the same function before training (Net2Net widen and deepen, a connection initialised to zero)."""

    @abstractmethod
    def morphisms(self, value: Any) -> list[tuple[str, Any]]:
        """Every named function-preserving move from genotype ``value`` that stays in the space, as
        ``(name, child genotype)``, e.g. ``("widen layer 1 to 64", [...])``; empty if there is none."""


CAPABILITY_NAMES: dict[type, str] = {Tokenizable: "tokens", Crossable: "crossover", HasDistance: "distance",
                                     HasFeatures: "features", Growable: "growth", Morphable: "morphisms"}


def capability_text(capability: type) -> str:
    """How messages name a capability, e.g. ``"tokens (token_choices/to_tokens/from_tokens)"``."""
    methods = [name for name, f in vars(capability).items() if getattr(f, "__isabstractmethod__", False)]
    return f"{CAPABILITY_NAMES.get(capability, capability.__name__)} ({'/'.join(methods)})"


def offering(capability: type) -> list[str]:
    """Class names of the registered parameter types that offer ``capability``."""
    classes = (PARAM_TYPES.get(name) for name in PARAM_TYPES.names())
    return sorted(cls.__name__ for cls in classes if issubclass(cls, capability))


def missing_capability(owner: str, name: str, param: Any, capability: type, *, also: str = "",
            error: type[ConfigError] = SpaceError) -> ConfigError:
    """The error for a parameter that lacks a capability ``owner`` needs; ``also`` adds what else is missing.

    For example ``"qlearning: parameter 'arch' (MySpace) lacks tokens (token_choices/to_tokens/from_tokens);
    spaces that have tokens: ChainSpace, DARTSCell, ..."``.
    """
    label = CAPABILITY_NAMES.get(capability, capability.__name__)
    return error(f"{owner}: parameter {name!r} ({type(param).__name__}) lacks {capability_text(capability)}{also}; "
                 f"spaces that have {label}: {', '.join(offering(capability)) or 'none'}")
