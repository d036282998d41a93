"""One registry type for everything a config names (strategies, pruners, models, datasets, objectives),
and ``to_config`` derived from a constructor's signature.

A :class:`Registry` maps names to entries: a class, a builder function, or a lazy ``"module:attr"``
path imported only when used. :meth:`Registry.build` turns a name or ``{type: name, **options}``
into an object, checking option names against the entry's signature, so every registry refuses an
unknown name or option with the same kind of message. :class:`Configurable` gives a class
``to_config()`` from its constructor's signature, so ``registry.build(obj.to_config())`` rebuilds it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from hypernas.errors import ConfigError

T = TypeVar("T")


def _option_params(target: Callable[..., Any], skip: int = 0) -> list[inspect.Parameter]:
    """The parameters of ``target`` that can be given by name (after its first ``skip`` positional ones)."""
    params = list(inspect.signature(target).parameters.values())[skip:]
    return [p for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


def signature_options(target: Callable[..., Any], skip: int = 0) -> list[str]:
    """The keyword options ``target`` accepts (after its first ``skip`` positional ones)."""
    return [p.name for p in _option_params(target, skip)]


def required_options(target: Callable[..., Any], skip: int = 0) -> list[str]:
    """The keyword options ``target`` cannot do without (no default)."""
    return [p.name for p in _option_params(target, skip) if p.default is p.empty]


class Registry(Generic[T]):
    """Named entries of one kind (``kind`` is used in messages: ``"strategy"``, ``"model"``, ...).

    ``error`` is the :class:`~hypernas.errors.ConfigError` subclass raised for an unknown name or a
    bad option; ``skip`` is how many leading positional arguments :meth:`build` does not take from
    the options (e.g. a model builder's ``input_shape, num_classes``).
    """

    def __init__(self, kind: str, error: type[ConfigError] = ConfigError, skip: int = 0,
                 plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.error = error
        self.skip = skip
        self._entries: dict[str, T | str] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: make the decorated class or function available under ``name``.

        A class with a ``name`` class attribute gets ``name`` set, so its ``to_config`` says its type.
        """

        def decorate(entry: T) -> T:
            self._entries[name] = _named(entry, name)
            return entry

        return decorate

    def register_path(self, name: str, target: str) -> None:
        """Make ``name`` load ``target`` (``"package.module:attr"``) when first used."""
        if ":" not in target:
            raise self.error(f"{self.kind} {name!r}: target must be 'package.module:attr', got {target!r}")
        self._entries[name] = target

    def unregister(self, name: str) -> None:
        """Remove ``name`` (no error if it is not registered)."""
        self._entries.pop(name, None)

    @contextlib.contextmanager
    def temporarily(self, name: str, entry: T) -> Iterator[T]:
        """Register ``entry`` under ``name`` for the duration of a ``with`` block (tests, experiments)."""
        previous = self._entries.get(name)
        own_name = vars(entry).get("name") if isinstance(entry, type) else None
        self._entries[name] = _named(entry, name)
        try:
            yield entry
        finally:
            if isinstance(entry, type) and vars(entry).get("name") != own_name:
                if own_name is None:
                    delattr(entry, "name")
                else:
                    entry.name = own_name  # type: ignore[attr-defined]
            if previous is None:
                self._entries.pop(name, None)
            else:
                self._entries[name] = previous

    def unknown(self, name: Any) -> ConfigError:
        """The error for a name that is not registered."""
        return self.error(f"unknown {self.kind} {name!r}; known {self.plural}: {', '.join(self.names()) or 'none'}")

    def get(self, name: Any) -> T:
        """The entry registered under ``name`` (lazy paths are imported now)."""
        key = name.lower() if isinstance(name, str) and name not in self._entries else name
        if not isinstance(key, str) or key not in self._entries:
            raise self.unknown(name)
        entry = self._entries[key]
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            entry = _named(getattr(importlib.import_module(module), attr), key)
            self._entries[key] = entry
        return entry

    def _signature_target(self, name: str) -> Callable[..., Any]:
        entry: Any = self.get(name)
        if not isinstance(entry, type):
            return entry
        return _no_options if entry.__init__ is object.__init__ else entry.__init__  # type: ignore[misc]

    def options(self, name: str) -> list[str]:
        """The option names the entry ``name`` accepts."""
        return signature_options(self._signature_target(name), self.skip)

    def required_options(self, name: str) -> list[str]:
        """The options the entry ``name`` cannot do without (no default)."""
        return required_options(self._signature_target(name), self.skip)

    def takes_any_option(self, name: str) -> bool:
        """Whether the entry ``name`` accepts arbitrary keyword options (``**kwargs``)."""
        params = inspect.signature(self._signature_target(name)).parameters.values()
        return any(p.kind is p.VAR_KEYWORD for p in params)

    def parse(self, spec: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """``(name, options)`` from a name or ``{type: name, **options}``."""
        if isinstance(spec, str):
            return spec, {}
        if isinstance(spec, Mapping):
            options = dict(spec)
            name = options.pop("type", None)
            if name is None:
                raise self.error(f"{self.kind} config needs a 'type'; known {self.plural}: {', '.join(self.names())}")
            return name, options
        raise self.error(f"{self.kind} must be a name or a mapping {{type: name, ...}}, got {spec!r}")

    def build(self, spec: str | Mapping[str, Any], *args: Any, defaults: Mapping[str, Any] | None = None,
              **overrides: Any) -> Any:
        """Call the entry named by ``spec`` with ``args`` and its options.

        ``defaults`` fill options the spec does not give (only those the entry accepts);
        ``overrides`` are added to the spec's options and checked with them. An unknown option, or a
        ``TypeError`` from the call itself, becomes ``self.error`` naming the entry and its allowed
        options; a ``TypeError`` raised inside the entry is a bug and propagates.
        """
        name, options = self.parse(spec)
        entry = self.get(name)
        allowed = self.options(name)
        options.update(overrides)
        unknown = sorted(set(options) - set(allowed))
        if unknown and not self.takes_any_option(name):
            raise self.error(f"{self.kind} {name!r}: unknown option {unknown[0]!r}; allowed: {', '.join(allowed) or 'none'}")
        for key, value in (defaults or {}).items():
            if key in allowed and key not in options:
                options[key] = value
        missing = [option for option in self.required_options(name) if option not in options]
        if missing:
            raise self.error(f"{self.kind} {name!r} needs the option {missing[0]!r}; allowed: {', '.join(allowed)}")
        try:
            return entry(*args, **options)  # type: ignore[operator]
        except TypeError as exc:
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
                raise  # raised inside the entry: a bug, not a bad option
            raise self.error(f"{self.kind} {name!r}: {exc}; allowed options: {', '.join(allowed) or 'none'}") from None


def _no_options() -> None:
    """The signature of a class without a constructor of its own: it takes no options."""


def _named(entry: Any, name: str) -> Any:
    """A Configurable class learns the name it is first registered under, so its ``to_config`` says its type
    (a subclass of a registered class gets a name of its own; a second name for a class is an alias)."""
    if isinstance(entry, type) and issubclass(entry, Configurable) and not vars(entry).get("name"):
        entry.name = name
    return entry


def _config_value(value: Any) -> Any:
    if isinstance(value, Configurable):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_config_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _config_value(v) for k, v in value.items()}
    return value


class Configurable:
    """``to_config()`` from the constructor's signature: ``{"type": name, option: value, ...}``.

    Each constructor option must be kept as an attribute of the same name (the value the caller
    gave, or what it normalises to). Nested configurables (a base strategy, a wrapped pruner)
    become their own configs, tuples become lists, so the result is JSON-serialisable.
    """

    name: ClassVar[str] = ""

    def to_config(self) -> dict[str, Any]:
        """A description that the registry turns back into an equal object."""
        config: dict[str, Any] = {"type": self.name}
        for option in signature_options(type(self).__init__):
            config[option] = _config_value(getattr(self, option))
        return config

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.to_config().items() if k != "type")
        return f"{type(self).__name__}({options})"
