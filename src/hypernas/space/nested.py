"""A parameter whose value is a whole configuration of an inner space.

What lets one genotype stand for several choices: the architecture of a PyTorch model written with
``hypernas.nn`` choices is a configuration ``{label: value}`` of its space, and a single-path supernet of
that model takes it as one genotype (as its subnets), as :class:`~hypernas.space.NB201Cell` does a cell string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.params import Param, register_param_type, value_text
from hypernas.space.space import Space


@register_param_type("nested")
class Nested(Param):
    """A configuration (``{name: value}``) of ``space`` (a :class:`Space` or its config) as one parameter's value."""

    def __init__(self, space: Space | Mapping[str, Any], *, default: Mapping[str, Any] | None = None,
                 when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        self.space = space if isinstance(space, Space) else Space.from_config(space)
        self._default = None if default is None else self.validate(default)

    def validate(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise SpaceError(f"parameter {self.label}: {value!r} is not a mapping of {', '.join(self.space.names)} "
                             "to values")
        try:
            return self.space.validate(value)
        except SpaceError as exc:
            raise SpaceError(f"parameter {self.label}: {exc}") from None

    @property
    def default(self) -> dict[str, Any]:
        return dict(self._default) if self._default is not None else self.space.complete({})

    @property
    def cardinality(self) -> int | None:
        total = 1
        for _, p in self.space.items():
            if p.cardinality is None:
                return None
            total *= p.cardinality
        return total if not self.space.is_conditional else None

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        return self.space.sample(rng)

    @property
    def n_dims(self) -> int:
        return self.space.n_dims

    def encode(self, value: Any) -> list[float]:
        return [float(x) for x in self.space.encode(value)]

    def decode(self, x: Sequence[float]) -> dict[str, Any]:
        return self.space.decode(np.asarray(x, dtype=float))

    def neighbors(self, value: Any) -> list[Any]:
        return list(self.space.neighbors(value))

    def mutate(self, value: Any, rng: np.random.Generator) -> dict[str, Any]:
        return self.space.mutate(value, rng)

    def grid(self, resolution: int = 5) -> list[Any]:
        return list(self.space.grid(resolution))

    def describe(self, value: Any) -> str:
        return ", ".join(f"{k}={value_text(v)}" for k, v in value.items())

    def _config_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"space": self.space.to_config()}
        if self._default is not None:
            fields["default"] = dict(self._default)
        return fields
