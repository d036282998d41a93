"""Parameters: the dimensions of a search space.

Every parameter knows how to sample a value, validate one (with a message that names the
parameter, the bad value and what is allowed), encode it to numbers in [0, 1] for models,
decode numbers back, give neighbours and mutations for local search and evolution, and, where
finite, enumerate a grid. Architecture spaces are parameters too: their values are genotypes.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from hypernas.errors import SpaceError
from hypernas.registry import Registry, required_options, signature_options
from hypernas.validate import check_int, check_number, is_integer, is_number

PARAM_TYPES: Registry[type[Param]] = Registry("type", error=SpaceError)
"""Parameter classes by the name a config gives as ``type`` (``float``, ``nb201``, ...)."""


def register_param_type(name: str) -> Callable[[type[Param]], type[Param]]:
    """Register a parameter class under ``name`` so that configs can say ``type: name``.

    The class's ``type_name`` becomes ``name`` (what its :meth:`Param.to_config` writes as ``type``).
    """

    def decorate(cls: type[Param]) -> type[Param]:
        cls.type_name = name
        return PARAM_TYPES.register(name)(cls)

    return decorate


def value_key(value: Any) -> str:
    """A canonical string for a JSON-serializable value, used to compare and deduplicate."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _number(owner: str, field: str, value: Any) -> float:
    """A finite number from a config, accepting strings such as ``"1e-4"`` that YAML leaves unparsed."""
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            parsed = math.nan
        if math.isfinite(parsed):
            return parsed
    return float(check_number(owner, field, value, error=SpaceError))


def _label(name: str | None) -> str:
    """A parameter as messages name it: ``'lr'``, or ``(unnamed)``."""
    return repr(name) if name else "(unnamed)"


def value_text(value: Any) -> str:
    """A value as short text: floats to 6 significant digits, lists and mappings as JSON."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


class Param(ABC):
    """One dimension of a search space.

    ``when`` makes the parameter conditional: ``when={"optimizer": "sgd"}`` means it exists only
    when ``optimizer`` is ``"sgd"`` (a list allows several values; several keys must all hold).
    """

    type_name: ClassVar[str] = ""

    def __init__(self, *, when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        self.name = name or ""
        self.when: dict[str, list[Any]] = {}
        if when is not None and not isinstance(when, Mapping):
            raise SpaceError(f"parameter {self.label}: when must map parent names to values, e.g. "
                             f"{{optimizer: sgd}}, got {when!r}")
        for parent, allowed in (when or {}).items():
            values = list(allowed) if isinstance(allowed, (list, tuple)) else [allowed]
            if not values:
                raise SpaceError(f"parameter {self.label}: condition on {parent!r} allows no value")
            self.when[str(parent)] = values

    @property
    def label(self) -> str:
        return _label(self.name)

    # --- sampling and checking -------------------------------------------------------------
    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Any:
        """A random value from the parameter's prior."""

    @abstractmethod
    def validate(self, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise :class:`SpaceError` saying what is allowed."""

    def contains(self, value: Any) -> bool:
        try:
            self.validate(value)
        except SpaceError:
            return False
        return True

    @property
    @abstractmethod
    def default(self) -> Any:
        """A representative value (the middle of a range, the first choice)."""

    # --- numeric encodings for models ------------------------------------------------------
    @property
    @abstractmethod
    def n_dims(self) -> int:
        """How many numbers :meth:`encode` produces."""

    @abstractmethod
    def encode(self, value: Any) -> list[float]:
        """Numbers in [0, 1] that represent ``value``."""

    @abstractmethod
    def decode(self, x: Sequence[float]) -> Any:
        """The value closest to the numbers ``x`` (clipped into [0, 1])."""

    # --- local moves -----------------------------------------------------------------------
    @abstractmethod
    def neighbors(self, value: Any) -> list[Any]:
        """Values one small step away from ``value`` (never ``value`` itself)."""

    @abstractmethod
    def mutate(self, value: Any, rng: np.random.Generator) -> Any:
        """A random nearby value different from ``value`` where the parameter allows it."""

    # --- grids -----------------------------------------------------------------------------
    @property
    def cardinality(self) -> int | None:
        """Number of distinct values, or ``None`` when infinite."""
        return None

    @abstractmethod
    def grid(self, resolution: int = 5) -> list[Any]:
        """Grid values: every value when finite and small, else ``resolution`` spread points."""

    # --- display ---------------------------------------------------------------------------
    def describe(self, value: Any) -> str:
        """``value`` as a short human-readable text (JSON for lists and mappings)."""
        return value_text(value)

    # --- configs ---------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": self.type_name, **self._config_fields()}
        if self.when:
            config["when"] = {k: (v[0] if len(v) == 1 else list(v)) for k, v in self.when.items()}
        return config

    @abstractmethod
    def _config_fields(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this parameter (JSON-serializable)."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], name: str = "") -> Param:
        allowed = [option for option in signature_options(cls.__init__) if option != "name"]
        unknown = sorted(set(config) - set(allowed))
        if unknown:
            raise SpaceError(
                f"parameter {name!r} ({cls.type_name}): unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}"
            )
        missing = [option for option in required_options(cls.__init__) if option not in config and option != "name"]
        if missing:
            raise SpaceError(f"parameter {name!r} ({cls.type_name}): missing key {missing[0]!r}; allowed keys: "
                             f"{', '.join(allowed)}")
        return cls(**config, name=name)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_config().items() if k != "type")
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Param) and type(self) is type(other) and self.to_config() == other.to_config()

    def __hash__(self) -> int:
        return hash(value_key(self.to_config()))


class NumericParam(Param):
    """Shared logic of :class:`Float` and :class:`Int`: bounds, log scale, step."""

    def __init__(self, low: Any, high: Any, *, log: bool = False, step: Any = None, default: Any = None,
                 when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        owner = f"parameter {self.label}"
        self.low = _number(owner, "low", low)
        self.high = _number(owner, "high", high)
        self.log = bool(log)
        self.step = None if step is None else _number(owner, "step", step)
        if self.low > self.high:
            raise SpaceError(f"parameter {self.label}: low {low} is greater than high {high}")
        if self.log and self.low <= 0:
            raise SpaceError(f"parameter {self.label}: a log scale needs low > 0, got low={low}")
        if not math.isfinite(self.high - self.low):
            raise SpaceError(f"parameter {self.label}: the range [{low}, {high}] is too wide to compute with; "
                             "keep high - low below 1.7e308")
        if self.step is not None:
            if self.step <= 0:
                raise SpaceError(f"parameter {self.label}: step must be > 0, got {step}")
            if self.log:
                raise SpaceError(f"parameter {self.label}: log scale and step cannot be combined")
            if self.high > self.low and self.step > self.high - self.low:
                raise SpaceError(f"parameter {self.label}: step {step} is larger than the range [{low}, {high}]; "
                                 f"allowed: a step of at most {self._fmt(self.high - self.low)}")
        self._default = None if default is None else self.validate(default)

    def to_unit(self, value: float) -> float:
        """Position of ``value`` in [0, 1] (in log space for log scales)."""
        if self.high == self.low:
            return 0.5
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        """The (unsnapped) value at position ``u`` of [0, 1]."""
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            return math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)

    def narrowed(self, center: Any, radius: float) -> NumericParam:
        """A copy restricted to ``center`` +- ``radius`` in the unit scale (used by multi-stage grids)."""
        u = self.to_unit(float(center))
        low, high = self.from_unit(max(0.0, u - radius)), self.from_unit(min(1.0, u + radius))
        fields = {k: v for k, v in self._config_fields().items() if k != "default"}
        fields.update(low=self._plain(self._snap(low)), high=self._plain(self._snap(high)))
        return type(self).from_config(fields, name=self.name)  # type: ignore[return-value]

    @abstractmethod
    def _snap(self, value: float) -> Any:
        """The allowed value nearest to ``value``."""

    def _range_text(self) -> str:
        text = f"[{self._fmt(self.low)}, {self._fmt(self.high)}]"
        if self.log:
            text += " (log scale)"
        if self.step is not None:
            text += f" with step {self._fmt(self.step)}"
        return text

    @staticmethod
    def _fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)

    @property
    def default(self) -> Any:
        return self._default if self._default is not None else self._snap(self.from_unit(0.5))

    @property
    def n_dims(self) -> int:
        return 1

    def encode(self, value: Any) -> list[float]:
        return [self.to_unit(float(value))]

    def decode(self, x: Sequence[float]) -> Any:
        return self._snap(self.from_unit(x[0]))

    def sample(self, rng: np.random.Generator) -> Any:
        return self._snap(self.from_unit(rng.random()))

    def mutate(self, value: Any, rng: np.random.Generator) -> Any:
        """A Gaussian step of 10% of the range in the (log) unit scale, reflected at the bounds."""
        if self.cardinality == 1:
            return value
        u = self.to_unit(float(value))
        for _ in range(32):
            v = u + rng.normal(0.0, 0.1)
            v = abs(v) if v < 0 else (2.0 - v if v > 1 else v)
            new = self._snap(self.from_unit(v))
            if new != value:
                return new
        near = self.neighbors(value)
        return near[int(rng.integers(len(near)))] if near else value

    def grid(self, resolution: int = 5) -> list[Any]:
        check_int(f"parameter {self.label}", "resolution", resolution, 1, error=SpaceError)
        card = self.cardinality
        if card is not None and card <= resolution:
            return self._all_values()
        points = [0.5] if resolution == 1 else list(np.linspace(0.0, 1.0, resolution))
        seen: dict[Any, None] = {}
        for u in points:
            seen.setdefault(self._snap(self.from_unit(u)), None)
        return list(seen)

    def _all_values(self) -> list[Any]:
        if self.step is None:  # a degenerate range low == high
            return [self._snap(self.low)]
        return [self._snap(self.low + k * self.step) for k in range(self.cardinality)]  # type: ignore[arg-type]

    def _config_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"low": self._plain(self.low), "high": self._plain(self.high)}
        if self.log:
            fields["log"] = True
        if self.step is not None and not (isinstance(self, Int) and self.step == 1):
            fields["step"] = self._plain(self.step)
        if self._default is not None:
            fields["default"] = self._default
        return fields

    def _plain(self, x: float) -> float | int:
        return x


@register_param_type("float")
class Float(NumericParam):
    """A real number in ``[low, high]``; ``log=True`` samples uniformly in log space; ``step`` discretizes."""

    def _snap(self, value: float) -> float:
        value = min(max(value, self.low), self.high)
        if self.step is not None:
            k = min(round((value - self.low) / self.step), self._top_index())
            value = float(round(self.low + k * self.step, 12))
        return float(value)

    def validate(self, value: Any) -> float:
        if not is_number(value):
            raise SpaceError(f"parameter {self.label}: {value!r} is not a number; allowed: a float in {self._range_text()}")
        v = float(value)
        if not math.isfinite(v) or v < self.low - 1e-12 * max(1.0, abs(self.low)) or v > self.high + 1e-12 * max(1.0, abs(self.high)):
            raise SpaceError(f"parameter {self.label}: {value!r} is outside {self._range_text()}")
        if self.step is not None:
            k = (v - self.low) / self.step
            if abs(k - round(k)) > 1e-6:
                raise SpaceError(f"parameter {self.label}: {value!r} is not on the grid {self._range_text()}")
        return min(max(v, self.low), self.high)

    @property
    def cardinality(self) -> int | None:
        if self.high == self.low:
            return 1
        if self.step is None:
            return None
        return self._top_index() + 1

    def _top_index(self) -> int:
        """Index of the highest grid point ``low + k * step`` that is not above ``high``."""
        return math.floor((self.high - self.low) / self.step + 1e-9)  # type: ignore[operator]

    def neighbors(self, value: Any) -> list[float]:
        if self.cardinality == 1:
            return []
        u = self.to_unit(float(value))
        delta = 0.1 if self.step is None else None
        out: list[float] = []
        for sign in (-1.0, 1.0):
            if delta is None:
                cand = self._snap(float(value) + sign * float(self.step))  # type: ignore[arg-type]
            else:
                cand = self._snap(self.from_unit(u + sign * delta))
            if cand != value and cand not in out:
                out.append(cand)
        return out


MAX_EXACT_INT = 2**53
"""The largest integer bound of an :class:`Int` (every integer up to it is exact as a float, in models and JSON)."""


@register_param_type("int")
class Int(NumericParam):
    """An integer in ``[low, high]`` (inclusive), on multiples of ``step`` from ``low``; ``log=True`` for scale-free ranges."""

    def __init__(self, low: Any, high: Any, *, log: bool = False, step: Any = 1, default: Any = None,
                 when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        owner = f"parameter {_label(name)}"
        for field, x in (("low", low), ("high", high), ("step", step)):
            number = _number(owner, field, x)
            if not number.is_integer():
                raise SpaceError(f"{owner}: {field} must be an integer, got {x!r}")
            if abs(int(x) if is_integer(x) else number) > MAX_EXACT_INT:
                raise SpaceError(f"{owner}: {field} {x!r} is beyond the integers a parameter can hold exactly; "
                                 f"allowed: -{MAX_EXACT_INT} to {MAX_EXACT_INT} (2**53)")
        super().__init__(low, high, log=log, step=None if log and step == 1 else step, default=default,
                         when=when, name=name)
        if self.step is None:
            self.step = 1.0

    def _snap(self, value: float) -> int:
        value = min(max(value, self.low), self.high)
        step = self.step or 1.0
        k = round((value - self.low) / step)
        v = int(self.low + k * step)
        while v > self.high:
            v -= int(step)
        return v

    def _plain(self, x: float) -> int:
        return int(x)

    def validate(self, value: Any) -> int:
        if not (is_integer(value) or (isinstance(value, (float, np.floating)) and float(value).is_integer())):
            raise SpaceError(f"parameter {self.label}: {value!r} is not an integer; allowed: an integer in {self._range_text()}")
        v = int(value)
        if v < self.low or v > self.high or (v - int(self.low)) % int(self.step or 1):
            raise SpaceError(f"parameter {self.label}: {value!r} is outside {self._range_text()}")
        return v

    @property
    def cardinality(self) -> int:
        return int((self.high - self.low) // (self.step or 1)) + 1

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:  # uniform in log space, each integer's bin [v - 0.5, v + 0.5]
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return self._snap(math.exp(lo + rng.random() * (hi - lo)))
        return int(self.low) + int(self.step or 1) * int(rng.integers(self.cardinality))

    def neighbors(self, value: Any) -> list[int]:
        step = int(self.step or 1)
        v = int(value)
        if self.log:
            near = {self._snap(v / 1.25), self._snap(v * 1.25), v - 1, v + 1}
        else:
            near = {v - step, v + step}
        return sorted(n for n in near if n != v and self.low <= n <= self.high)

    def _range_text(self) -> str:
        text = f"[{int(self.low)}, {int(self.high)}]"
        if self.log:
            text += " (log scale)"
        if self.step and self.step != 1:
            text += f" with step {int(self.step)}"
        return text


@register_param_type("categorical")
class Categorical(Param):
    """One of a list of JSON-serializable ``choices`` (strings, numbers, booleans, lists, dicts, None)."""

    def __init__(self, choices: Sequence[Any], *, default: Any = None, when: Mapping[str, Any] | None = None,
                 name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or len(choices) == 0:
            raise SpaceError(f"parameter {self.label}: choices must be a non-empty list, got {choices!r}")
        self.choices = list(choices)
        self._index: dict[str, int] = {}
        for i, c in enumerate(self.choices):
            try:
                key = value_key(c)
            except (TypeError, ValueError):
                raise SpaceError(f"parameter {self.label}: choice {c!r} is not JSON data (strings, finite numbers, booleans, None, lists and dicts of them)") from None
            if key in self._index:
                raise SpaceError(f"parameter {self.label}: choice {c!r} appears twice; choices must be distinct")
            same = [d for d in self.choices[:i] if is_number(c) and is_number(d) and float(d) == float(c)]
            if same:
                raise SpaceError(f"parameter {self.label}: choices {same[0]!r} and {c!r} are the same number; "
                                 "choices must be distinct")
            self._index[key] = i
        self._default = None if default is None else self.validate(default)

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices (raises :class:`SpaceError` if absent)."""
        try:
            key = value_key(value)
        except (TypeError, ValueError):
            key = None
        if key is not None and key in self._index:
            return self._index[key]
        for i, c in enumerate(self.choices):  # 32.0 or np.int64(32) (e.g. from a DataFrame) for the choice 32
            if is_number(c) and is_number(value) and float(c) == float(value):
                return i
        shown = ", ".join(repr(c) for c in self.choices[:12]) + (", ..." if len(self.choices) > 12 else "")
        raise SpaceError(f"parameter {self.label}: {value!r} is not one of the choices; allowed: {shown}")

    def validate(self, value: Any) -> Any:
        return self.choices[self.index(value)]

    @property
    def default(self) -> Any:
        return self._default if self._default is not None else self.choices[0]

    @property
    def cardinality(self) -> int:
        return len(self.choices)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.choices[int(rng.integers(len(self.choices)))]

    @property
    def n_dims(self) -> int:
        return len(self.choices)

    def encode(self, value: Any) -> list[float]:
        out = [0.0] * len(self.choices)
        out[self.index(value)] = 1.0
        return out

    def decode(self, x: Sequence[float]) -> Any:
        return self.choices[int(np.argmax(np.asarray(x, dtype=float)))]

    def neighbors(self, value: Any) -> list[Any]:
        i = self.index(value)
        return [c for j, c in enumerate(self.choices) if j != i]

    def mutate(self, value: Any, rng: np.random.Generator) -> Any:
        others = self.neighbors(value)
        return others[int(rng.integers(len(others)))] if others else value

    def grid(self, resolution: int = 5) -> list[Any]:
        return list(self.choices)

    def _config_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"choices": list(self.choices)}
        if self._default is not None:
            fields["default"] = self._default
        return fields


@register_param_type("fixed")
class Fixed(Param):
    """A constant: recorded with every trial but never searched."""

    def __init__(self, value: Any, *, when: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(when=when, name=name)
        try:
            self._key = value_key(value)
        except (TypeError, ValueError):
            raise SpaceError(f"parameter {self.label}: value {value!r} is not JSON data (strings, finite numbers, booleans, None, lists and dicts of them)") from None
        self.value = value

    def validate(self, value: Any) -> Any:
        try:
            same = value_key(value) == self._key
        except (TypeError, ValueError):
            same = False
        if not same:
            raise SpaceError(f"parameter {self.label}: {value!r} given, but it is fixed to {self.value!r}")
        return self.value

    @property
    def default(self) -> Any:
        return self.value

    @property
    def cardinality(self) -> int:
        return 1

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    @property
    def n_dims(self) -> int:
        return 0

    def encode(self, value: Any) -> list[float]:
        return []

    def decode(self, x: Sequence[float]) -> Any:
        return self.value

    def neighbors(self, value: Any) -> list[Any]:
        return []

    def mutate(self, value: Any, rng: np.random.Generator) -> Any:
        return self.value

    def grid(self, resolution: int = 5) -> list[Any]:
        return [self.value]

    def _config_fields(self) -> dict[str, Any]:
        return {"value": self.value}
