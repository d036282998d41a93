"""Architecture choices written inside a PyTorch model: ``LayerChoice``, ``InputChoice``, ``ValueChoice``, ``Repeat``.

A model is a callable (a class or a function with no required arguments) that builds an ``nn.Module`` and
calls these constructors where it has a choice. What a constructor returns depends on the build under way
(a :class:`Build`, entered by :func:`~hypernas.estimate.nn.space.model_space`,
:func:`~hypernas.estimate.nn.space.instantiate` or a supernet builder):

- discovering the space: the choice is recorded and its first option stands in for it;
- a fixed architecture: the chosen option itself (a plain module or value; no choice module is left);
- a supernet: what its :class:`Build` makes of the choice (a mixed or single-path layer).

The same label in several places is one choice (made once, used everywhere); a choice without a label gets
one from its kind and its place in the construction order (``layer_choice_1``, ``value_choice_2``, ...).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from hypernas.errors import SpaceError

REDUCTIONS = ("sum", "mean", "concat")


@dataclass
class ChoiceSpec:
    """One choice of a model: its ``kind`` (``layer``, ``input``, ``value``, ``repeat``), ``label``, ``options``
    (candidate names, index combinations, values or depths, in order) and the condition under which it exists
    (``when``: ``{repeat label: depths}``; empty when always)."""

    kind: str
    label: str
    options: list[Any]
    when: dict[str, list[Any]] = field(default_factory=dict)


class Build:
    """How choice constructors behave while a model is built; subclasses decide what each choice becomes.

    The base class records every choice (:attr:`specs`, by label, in construction order) and checks that a
    label used again names the same options.
    """

    def __init__(self) -> None:
        self.specs: dict[str, ChoiceSpec] = {}
        self._counts: dict[str, int] = {}
        self._conditions: list[tuple[str, list[Any]]] = []

    def label(self, kind: str, label: str | None) -> str:
        """``label`` checked, or the next automatic label of ``kind``."""
        if label is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            return f"{kind}_choice_{self._counts[kind]}"
        if not isinstance(label, str) or not label or "." in label:
            raise SpaceError(f"choice label {label!r}: a label must be a non-empty string without '.'")
        return label

    def record(self, kind: str, label: str, options: Sequence[Any]) -> ChoiceSpec:
        """Record a choice (or find the one of the same label, which must have the same kind and options)."""
        options = list(options)
        when: dict[str, list[Any]] = {}
        for parent, values in self._conditions:
            when[parent] = [v for v in when.get(parent, values) if v in values]
        found = self.specs.get(label)
        if found is None:
            spec = ChoiceSpec(kind, label, options, when)
            self.specs[label] = spec
            return spec
        if found.kind != kind or found.options != options:
            raise SpaceError(f"choice label {label!r} is used for two different choices: {found.kind} choice of "
                             f"{found.options!r} and {kind} choice of {options!r}; give them different labels")
        found.when = _either(found.when, when)
        return found

    @contextmanager
    def condition(self, parent: str, values: list[Any]) -> Iterator[None]:
        """Choices recorded inside the block exist only when choice ``parent`` takes one of ``values``."""
        self._conditions.append((parent, values))
        try:
            yield
        finally:
            self._conditions.pop()

    # --- what each choice becomes: the discovery build gives the first option -------------------------
    def layer(self, spec: ChoiceSpec, candidates: Mapping[str, nn.Module]) -> nn.Module:
        return next(iter(candidates.values()))

    def inputs(self, spec: ChoiceSpec, n_candidates: int, reduction: str) -> nn.Module:
        return ChosenInputs(spec.options[0], reduction)

    def value(self, spec: ChoiceSpec) -> Any:
        return spec.options[0]

    def depth(self, spec: ChoiceSpec) -> int:
        return int(max(spec.options))


def _either(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The condition of a choice that exists where ``a`` holds or where ``b`` holds (as near as one ``when`` can
    say it: the values of a shared parent joined; otherwise always)."""
    if not a or not b or set(a) != set(b) or len(a) > 1:
        return {}
    parent = next(iter(a))
    return {parent: sorted(set(a[parent]) | set(b[parent]))}


class FixedBuild(Build):
    """A fixed architecture: every choice takes its value from ``params`` (``{label: value}``)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__()
        self.params = dict(params)

    def chosen(self, spec: ChoiceSpec) -> Any:
        if spec.label not in self.params:
            raise SpaceError(f"choice {spec.label!r} has no value in the architecture; give one of {spec.options!r}")
        value = self.params[spec.label]
        matches = [o for o in spec.options if o == value or (isinstance(value, tuple) and list(value) == o)]
        if not matches:
            raise SpaceError(f"choice {spec.label!r}: {value!r} is not one of its options; allowed: {spec.options!r}")
        return matches[0]

    def layer(self, spec: ChoiceSpec, candidates: Mapping[str, nn.Module]) -> nn.Module:
        return candidates[_key(self.chosen(spec))]

    def inputs(self, spec: ChoiceSpec, n_candidates: int, reduction: str) -> nn.Module:
        return ChosenInputs(self.chosen(spec), reduction)

    def value(self, spec: ChoiceSpec) -> Any:
        return self.chosen(spec)

    def depth(self, spec: ChoiceSpec) -> int:
        return int(self.chosen(spec))


_state = threading.local()


def current() -> Build:
    """The build under way in this thread; a choice built outside any is an error."""
    build = getattr(_state, "build", None)
    if build is None:
        raise SpaceError("an architecture choice was built outside a model build; build the model with "
                         "hypernas.nn.instantiate(model_fn, params), hypernas.nn.model_space(model_fn) or a supernet")
    return build


@contextmanager
def building(build: Build) -> Iterator[Build]:
    """Make ``build`` the one choice constructors in this thread follow inside the block."""
    if getattr(_state, "build", None) is not None:
        raise SpaceError("a model build is already under way in this thread; builds cannot be nested")
    _state.build = build
    try:
        yield build
    finally:
        _state.build = None


def _key(name: Any) -> str:
    return str(name)


def _candidates(candidates: Any) -> tuple[list[Any], dict[str, nn.Module]]:
    """Option names (candidate keys, or positions for a list) and the modules by their name as text."""
    if isinstance(candidates, Mapping):
        names: list[Any] = list(candidates)
        modules = list(candidates.values())
        if any(not isinstance(n, str) for n in names):
            raise SpaceError(f"LayerChoice: candidate names must be strings, got {names!r}")
    elif isinstance(candidates, Sequence) and not isinstance(candidates, (str, bytes)):
        names, modules = list(range(len(candidates))), list(candidates)
    else:
        raise SpaceError(f"LayerChoice: candidates must be a list or a dict of modules, got {candidates!r}")
    if not modules or any(not isinstance(m, nn.Module) for m in modules):
        raise SpaceError(f"LayerChoice: candidates must be a non-empty list or dict of nn.Module, got {candidates!r}")
    return names, {_key(n): m for n, m in zip(names, modules)}


def LayerChoice(candidates: Sequence[nn.Module] | Mapping[str, nn.Module], label: str | None = None) -> nn.Module:
    """One of ``candidates`` (a list: options 0, 1, ...; a dict: options named by its keys)."""
    build = current()
    names, modules = _candidates(candidates)
    spec = build.record("layer", build.label("layer", label), names)
    return build.layer(spec, modules)


def InputChoice(n_candidates: int, n_chosen: int = 1, reduction: str = "sum",
                label: str | None = None) -> nn.Module:
    """``n_chosen`` of ``n_candidates`` inputs: a module whose forward takes the list of candidate inputs and
    reduces the chosen ones (``sum``, ``mean`` or ``concat`` along dimension 1). Options: index lists ``[i, ...]``."""
    if not isinstance(n_candidates, int) or n_candidates < 1:
        raise SpaceError(f"InputChoice: n_candidates must be an integer >= 1, got {n_candidates!r}")
    if not isinstance(n_chosen, int) or not 1 <= n_chosen <= n_candidates:
        raise SpaceError(f"InputChoice: n_chosen must be an integer in [1, {n_candidates}], got {n_chosen!r}")
    if reduction not in REDUCTIONS:
        raise SpaceError(f"InputChoice: reduction {reduction!r} is not one of {', '.join(REDUCTIONS)}")
    build = current()
    options = [list(c) for c in itertools.combinations(range(n_candidates), n_chosen)]
    spec = build.record("input", build.label("input", label), options)
    return build.inputs(spec, n_candidates, reduction)


def ValueChoice(values: Sequence[Any], label: str | None = None) -> Any:
    """One of ``values`` (numbers, strings, booleans): the plain value, usable as any layer's argument, e.g.
    ``nn.Conv2d(3, ValueChoice([16, 32], label="width"), 3)``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise SpaceError(f"ValueChoice: values must be a non-empty list, got {values!r}")
    build = current()
    spec = build.record("value", build.label("value", label), list(values))
    return build.value(spec)


def Repeat(block: Callable[[int], nn.Module], depth: int | tuple[int, int] | Sequence[int],
           label: str | None = None) -> nn.Module:
    """``block(0), block(1), ...`` in an ``nn.Sequential`` of a searched depth: ``(min, max)`` for every depth
    in that range, a list for those depths, an int for a fixed depth. Choices inside ``block(i)`` exist only
    at depths above ``i``."""
    if isinstance(depth, int) and not isinstance(depth, bool):
        options = [depth]
    elif isinstance(depth, tuple) and len(depth) == 2 and all(isinstance(d, int) for d in depth):
        options = list(range(depth[0], depth[1] + 1))
    elif isinstance(depth, Sequence) and depth and all(isinstance(d, int) for d in depth):
        options = sorted(set(depth))
    else:
        options = []
    if not options or min(options) < 0:
        raise SpaceError(f"Repeat: depth must be an int, a (min, max) tuple or a list of ints >= 0, got {depth!r}")
    build = current()
    name = build.label("repeat", label)
    if len(options) == 1:
        return nn.Sequential(*(block(i) for i in range(options[0])))
    spec = build.record("repeat", name, options)
    blocks = []
    for i in range(build.depth(spec)):
        needed = [d for d in options if d > i]
        if len(needed) == len(options):
            blocks.append(block(i))
        else:
            with build.condition(name, needed):
                blocks.append(block(i))
    return nn.Sequential(*blocks)


def reduce(xs: Sequence[torch.Tensor], reduction: str) -> torch.Tensor:
    """``xs`` summed, averaged, or concatenated along dimension 1."""
    if reduction == "concat":
        return torch.cat(list(xs), dim=1)
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out / len(xs) if reduction == "mean" else out


class ChosenInputs(nn.Module):
    """The fixed form of an input choice: reduces the inputs at ``indices`` of the list it is given."""

    def __init__(self, indices: Sequence[int], reduction: str = "sum") -> None:
        super().__init__()
        self.indices = [int(i) for i in indices]
        self.reduction = reduction

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return reduce([inputs[i] for i in self.indices], self.reduction)

    def extra_repr(self) -> str:
        return f"indices={self.indices}, reduction={self.reduction!r}"
