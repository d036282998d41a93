"""``model: nn_model``: the fixed network of a model written with ``hypernas.nn`` choices.

A manifest is data and never names code to import, so the builder only rebuilds models that this process
has made known (:func:`know_model`, done by :class:`~hypernas.estimate.nn.objective.ModelObjective`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.models.registry import MODELS

_KNOWN: dict[str, Callable[[Mapping[str, Any]], nn.Module]] = {}
"""How to build each known model's fixed network from its choices, by the model's ``module:qualname``."""


def know_model(name: str, build: Callable[[Mapping[str, Any]], nn.Module]) -> None:
    """Let ``nn_model`` rebuild the model ``name``: ``build(choices)`` is its fixed network."""
    _KNOWN[name] = build


@MODELS.register("nn_model")
def nn_model(input_shape: Sequence[int], num_classes: int, fn: str, choices: Mapping[str, Any]) -> nn.Module:
    """The fixed network ``choices`` of the model ``fn`` (its ``module:qualname``, known in this process); the
    model itself decides its input and output sizes."""
    if fn not in _KNOWN:
        raise ConfigError(f"model 'nn_model': {fn!r} is a model written with hypernas.nn choices that this process "
                          "does not know; rebuild it where ModelObjective(<that model>) was made, or with "
                          "hypernas.nn.instantiate(model_fn, manifest.params) and load the weights")
    return _KNOWN[fn](choices)
