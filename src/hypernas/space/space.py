"""A search space: named parameters, some active only under conditions on others."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hypernas.errors import SpaceError
from hypernas.space.params import PARAM_TYPES, Categorical, Fixed, NumericParam, Param, value_key


class Space:
    """Named parameters with optional conditions, in an order where every parent precedes its children.

    Build it from a mapping ``{"lr": Float(1e-4, 1e-1, log=True), ...}``, keyword arguments, or a
    list of named parameters. A parameter's ``when`` names the parent values under which it is active.
    """

    def __init__(self, params: Mapping[str, Param] | Iterable[Param] | None = None, **kwargs: Param) -> None:
        named: dict[str, Param] = {}
        items: list[tuple[str, Param]] = []
        if isinstance(params, Mapping):
            items.extend(params.items())
        elif params is not None:
            items.extend((p.name, p) for p in params)
        items.extend(kwargs.items())
        for name, param in items:
            _check_name(name)
            if not isinstance(param, Param):
                raise SpaceError(f"parameter {name!r}: expected a Float, Int, Categorical, Fixed or architecture space, got {param!r}")
            if not name:
                raise SpaceError(f"every parameter needs a name; got an unnamed {param!r}")
            if name in named:
                raise SpaceError(f"parameter {name!r} is defined twice")
            if param.name and param.name != name:
                raise SpaceError(f"parameter named {param.name!r} was given under the key {name!r}")
            param.name = name
            named[name] = param
        if not named:
            raise SpaceError("a space needs at least one parameter, e.g. Space(lr=Float(1e-4, 1e-1, log=True))")
        self._params = self._ordered(named)
        self._slices: dict[str, slice] = {}
        offset = 0
        for name, p in self._params.items():
            self._slices[name] = slice(offset, offset + p.n_dims)
            offset += p.n_dims
        self.n_dims = offset

    @staticmethod
    def _ordered(named: dict[str, Param]) -> dict[str, Param]:
        """Check conditions and order parameters so that parents come before children."""
        for name, p in named.items():
            for parent, values in p.when.items():
                if parent not in named:
                    raise SpaceError(f"parameter {name!r} is conditioned on {parent!r}, which is not in the space; known: {', '.join(named)}")
                if parent == name:
                    raise SpaceError(f"parameter {name!r} is conditioned on itself")
                if named[parent].cardinality is None and isinstance(named[parent], NumericParam):
                    raise SpaceError(f"parameter {name!r} is conditioned on {parent!r}, a continuous float that almost "
                                     "never takes one exact value; condition on a categorical, int, fixed or stepped "
                                     "float parameter")
                for v in values:
                    if not named[parent].contains(v):
                        raise SpaceError(f"parameter {name!r}: condition value {v!r} can never be taken by {parent!r}")
                p.when[parent] = [named[parent].validate(v) for v in values]  # 2.0 -> 2 for an int parent
        ordered: dict[str, Param] = {}
        remaining = dict(named)
        while remaining:
            ready = [n for n, p in remaining.items() if all(q in ordered for q in p.when)]
            if not ready:
                raise SpaceError(f"conditions form a cycle among: {', '.join(remaining)}")
            for n in ready:
                ordered[n] = remaining.pop(n)
        _check_reachable(ordered)
        return ordered

    # --- container protocol ----------------------------------------------------------------
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def items(self) -> Iterable[tuple[str, Param]]:
        return self._params.items()

    @property
    def names(self) -> list[str]:
        return list(self._params)

    @property
    def is_conditional(self) -> bool:
        return any(p.when for p in self._params.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_config() == other.to_config()

    def __repr__(self) -> str:
        return f"Space({', '.join(f'{n}={p!r}' for n, p in self._params.items())})"

    # --- activity --------------------------------------------------------------------------
    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether ``name`` is active given the (already chosen) values of its parents."""
        p = self._params[name]
        for parent, allowed in p.when.items():
            if parent not in params or not self.is_active(parent, params):
                return False
            key = value_key(params[parent])
            if all(value_key(v) != key for v in allowed):
                return False
        return True

    # --- sampling and checking -------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """A random configuration: every active parameter drawn from its prior."""
        out: dict[str, Any] = {}
        for name, p in self._params.items():
            if self.is_active(name, out):
                out[name] = p.sample(rng)
        return out

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` in canonical form and order, or raise :class:`SpaceError`.

        Every active parameter must be present; unknown or inactive ones are errors.
        """
        if not isinstance(params, Mapping):
            raise SpaceError(f"parameters must be a mapping of name to value, got {params!r}")
        unknown = [k for k in params if k not in self._params]
        if unknown:
            raise SpaceError(f"unknown parameter {unknown[0]!r}; the space has: {', '.join(self._params)}")
        out: dict[str, Any] = {}
        for name, p in self._params.items():
            active = self.is_active(name, out)
            if active and name not in params:
                raise SpaceError(f"parameter {name!r} is missing{self._condition_text(p)}")
            if not active and name in params:
                raise SpaceError(f"parameter {name!r} is given but inactive: it applies only when {self.when_text(p.name)}")
            if active:
                out[name] = p.validate(params[name])
        return out

    def complete(self, partial: Mapping[str, Any], rng: np.random.Generator | None = None, *,
                 strict: bool = False) -> dict[str, Any]:
        """Fill missing active parameters (sampled, or defaults when ``rng`` is None) and drop inactive ones.

        Given values are validated; with ``strict``, a given value that its parents make inactive is an
        error instead of being dropped (this is how an enqueued partial configuration becomes a trial).
        """
        unknown = [k for k in partial if k not in self._params]
        if unknown:
            raise SpaceError(f"unknown parameter {unknown[0]!r}; the space has: {', '.join(self._params)}")
        out: dict[str, Any] = {}
        for name, p in self._params.items():
            if not self.is_active(name, out):
                continue
            if name in partial:
                out[name] = p.validate(partial[name])
            else:
                out[name] = p.sample(rng) if rng is not None else p.default
        dropped = [k for k in partial if k not in out]
        if strict and dropped:
            p = self._params[dropped[0]]
            raise SpaceError(f"parameter {dropped[0]!r} is given but inactive: it applies only when {self.when_text(p.name)}")
        return out

    def when_text(self, name: str) -> str:
        """The condition under which parameter ``name`` is active, as text."""
        p = self._params[name]
        return " and ".join(f"{k} in {v!r}" if len(v) > 1 else f"{k} == {v[0]!r}" for k, v in p.when.items())

    def _condition_text(self, p: Param) -> str:
        return f" (active because {self.when_text(p.name)})" if p.when else ""

    def key(self, params: Mapping[str, Any]) -> str:
        """A canonical string of a configuration, equal for equal configurations."""
        return value_key({k: params[k] for k in sorted(params)})

    # --- numeric encodings -----------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """A vector in [0, 1]^n_dims; the dimensions of inactive parameters are 0."""
        x = np.zeros(self.n_dims)
        for name, p in self._params.items():
            if name in params:
                x[self._slices[name]] = p.encode(params[name])
        return x

    def decode(self, x: np.ndarray | list[float]) -> dict[str, Any]:
        """The configuration nearest to ``x``; only active parameters are returned."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_dims,):
            raise SpaceError(f"cannot decode a vector of shape {x.shape}; this space has {self.n_dims} dimensions")
        out: dict[str, Any] = {}
        for name, p in self._params.items():
            if self.is_active(name, out):
                out[name] = p.decode(list(x[self._slices[name]]))
        return out

    def slice_of(self, name: str) -> slice:
        """Where parameter ``name`` lives in :meth:`encode`'s vector."""
        return self._slices[name]

    # --- grids -----------------------------------------------------------------------------
    def grid(self, resolution: int = 5) -> list[dict[str, Any]]:
        """Every combination of the parameters' grid values, respecting conditions."""
        combos: list[dict[str, Any]] = [{}]
        for name, p in self._params.items():
            values = p.grid(resolution)
            nxt: list[dict[str, Any]] = []
            for c in combos:
                if self.is_active(name, c):
                    nxt.extend({**c, name: v} for v in values)
                else:
                    nxt.append(c)
            combos = nxt
        return combos

    def grid_size(self, resolution: int = 5) -> int:
        return len(self.grid(resolution))

    # --- local moves -----------------------------------------------------------------------
    def neighbors(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Configurations that differ from ``params`` in one parameter by one small step.

        Children that become active take their default value; those that become inactive are dropped.
        """
        out: list[dict[str, Any]] = []
        seen = {self.key(params)}
        for name, p in self._params.items():
            if name not in params:
                continue
            for v in p.neighbors(params[name]):
                cand = self._replace(params, name, v)
                k = self.key(cand)
                if k not in seen:
                    seen.add(k)
                    out.append(cand)
        return out

    def _replace(self, params: Mapping[str, Any], name: str, value: Any,
                 rng: np.random.Generator | None = None) -> dict[str, Any]:
        new = dict(params)
        new[name] = value
        kept = {k: v for k, v in new.items() if k in self._params}
        out: dict[str, Any] = {}
        for n, p in self._params.items():
            if not self.is_active(n, out):
                continue
            out[n] = kept[n] if n in kept else (p.sample(rng) if rng is not None else p.default)
        return out

    def mutate(self, params: Mapping[str, Any], rng: np.random.Generator, n_mutations: int = 1) -> dict[str, Any]:
        """Change ``n_mutations`` randomly chosen active, non-fixed parameters by a random local move."""
        current = dict(params)
        for _ in range(n_mutations):
            movable = [n for n in current if n in self._params and not isinstance(self._params[n], Fixed)
                       and (self._params[n].cardinality or 2) > 1]
            if not movable:
                break
            name = movable[int(rng.integers(len(movable)))]
            current = self._replace(current, name, self._params[name].mutate(current[name], rng), rng)
        return current

    # --- configs ---------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """A JSON/YAML-serializable description that :meth:`from_config` turns back into this space."""
        return {name: p.to_config() for name, p in self._params.items()}

    def to_json(self) -> str:
        return json.dumps(self.to_config())

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Space:
        """Build a space from a mapping of name to parameter description.

        ``{type: float, low: ..., high: ..., log: true}``, ``{type: int, ...}``,
        ``{type: categorical, choices: [...]}`` (a bare list is a shorthand), ``{type: fixed,
        value: ...}`` (a bare scalar is a shorthand), and registered architecture space types.
        """
        if not isinstance(config, Mapping) or not config:
            raise SpaceError(f"a space must be a non-empty mapping of parameter name to description, got {config!r}")
        params: dict[str, Param] = {}
        for name, desc in config.items():
            _check_name(name)
            params[name] = param_from_config(name, desc)
        return cls(params)

    @classmethod
    def from_yaml(cls, source: str | Path) -> Space:
        """Build a space from a YAML file path or YAML text (see :meth:`from_config`)."""
        from hypernas.space.yaml_loading import load_yaml, read_yaml_file  # PyYAML only when YAML is read

        if isinstance(source, Path) or (isinstance(source, str) and (
                _is_file(source) or source.strip().endswith((".yaml", ".yml")))):
            data = read_yaml_file(source, "space file", SpaceError)
        else:
            data = load_yaml(str(source), "the space", SpaceError)
        if isinstance(data, Mapping) and "space" in data:
            if not isinstance(data["space"], Mapping):
                raise SpaceError(f"'space' must map parameter names to descriptions, got {data['space']!r}")
            data = data["space"]
        return cls.from_config(data)


def _check_name(name: Any) -> None:
    if not isinstance(name, str):
        raise SpaceError(f"parameter names must be strings, got {name!r} ({type(name).__name__})")


def _check_reachable(ordered: Mapping[str, Param]) -> None:
    """Refuse a parameter that no configuration activates: its conditions, with those of its parents
    and their parents, ask one parameter for values that do not overlap (e.g. ``a == 'x'`` and ``a == 'y'``)."""
    needs: dict[str, dict[str, set[str]]] = {}  # parameter -> ancestor -> the ancestor values that activate it
    for name, p in ordered.items():
        own: dict[str, set[str]] = {}
        for parent, allowed in p.when.items():
            for ancestor, keys in [*needs[parent].items(), (parent, {value_key(v) for v in allowed})]:
                common = own.get(ancestor, keys) & keys
                if not common:
                    raise SpaceError(f"parameter {name!r} is never active: its conditions and those of its parents "
                                     f"need {ancestor!r} to take values that exclude each other")
                own[ancestor] = common
        needs[name] = own


def _is_file(source: str) -> bool:
    """Whether ``source`` names an existing file (one-line YAML text too long for a path is not one)."""
    if "\n" in source:
        return False
    try:
        return Path(source).is_file()
    except OSError:
        return False


def param_from_config(name: str, desc: Any) -> Param:
    """One parameter from its config description (see :meth:`Space.from_config`)."""
    if isinstance(desc, Param):
        return desc
    if isinstance(desc, list):
        return Categorical(desc, name=name)
    if not isinstance(desc, Mapping):
        return Fixed(desc, name=name)
    desc = dict(desc)
    kind = desc.pop("type", "categorical" if "choices" in desc else None)
    if kind is None:
        raise SpaceError(f"parameter {name!r}: missing 'type'; allowed: {', '.join(PARAM_TYPES.names())}")
    try:
        cls = PARAM_TYPES.get(kind)
    except SpaceError as exc:
        raise SpaceError(f"parameter {name!r}: {exc}") from None
    return cls.from_config(desc, name=name)
