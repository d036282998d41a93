"""A model's architecture space, and the fixed network of one architecture in it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from hypernas.errors import SpaceError
from hypernas.estimate.nn.choices import Build, ChoiceSpec, FixedBuild, building
from hypernas.space import Categorical, Space

ModelFn = Callable[[], nn.Module]
"""A model: a class or function that builds the ``nn.Module`` when called with no arguments."""


def run(model_fn: ModelFn, build: Build) -> nn.Module:
    """``model_fn()`` with its choices following ``build``."""
    if not callable(model_fn):
        raise SpaceError(f"a model must be a class or function that builds an nn.Module, got {model_fn!r}")
    with building(build):
        model = model_fn()
    if not isinstance(model, nn.Module):
        raise SpaceError(f"model {_name(model_fn)} built {type(model).__name__}, not an nn.Module")
    return model


def choices(model_fn: ModelFn) -> dict[str, ChoiceSpec]:
    """Every choice of the model, by label, in the order the model first makes them."""
    build = Build()
    run(model_fn, build)
    return build.specs


def model_space(model_fn: ModelFn) -> Space:
    """The architecture space of a model: one categorical parameter per choice label (candidate names or
    positions, input index lists, values, depths), conditional on a repeat's depth where only some depths
    build it."""
    specs = choices(model_fn)
    if not specs:
        raise SpaceError(f"model {_name(model_fn)} makes no architecture choice (no LayerChoice, InputChoice, "
                         "ValueChoice or Repeat of several depths)")
    return space_of(specs)


def space_of(specs: Mapping[str, ChoiceSpec]) -> Space:
    """The space of recorded choices (see :func:`model_space`)."""
    return Space({label: Categorical(spec.options, when=spec.when or None) for label, spec in specs.items()})


def instantiate(model_fn: ModelFn, params: Mapping[str, Any]) -> nn.Module:
    """The model with every choice fixed by ``params`` (``{label: value}``, e.g. a trial's parameters; others are
    ignored): a plain network with no choice module left."""
    if not isinstance(params, Mapping):
        raise SpaceError(f"an architecture must map choice labels to values, got {params!r}")
    return run(model_fn, FixedBuild(params))


def _name(model_fn: Any) -> str:
    return getattr(model_fn, "__qualname__", repr(model_fn))
