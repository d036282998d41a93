"""Training a model written with ``hypernas.nn`` choices: the :class:`TrainingObjective` of its fixed networks.

The trial's choice labels fix the architecture (:func:`~hypernas.estimate.nn.space.instantiate`); its other
parameters are training options, as for any training objective. The network is built through the model
registry's ``nn_model`` builder (:mod:`~hypernas.estimate.models.nn_model`), whose options name the model
(``module:qualname``) and hold the choices, so a kept network's manifest is plain JSON; it rebuilds in a process
that made a :class:`ModelObjective` of the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from hypernas.errors import ObjectiveError
from hypernas.estimate.models.nn_model import know_model
from hypernas.estimate.nn.space import ModelFn, instantiate, model_space
from hypernas.estimate.train.config import TrainConfig
from hypernas.estimate.train.objective import TrainingObjective
from hypernas.space import Space


def model_key(model_fn: ModelFn) -> str:
    """``module:qualname`` of a model callable: how manifests name it. A callable without a name of its own at
    module level (a lambda, a function defined inside another, a ``functools.partial``) has none other processes
    or another model could not share: it is refused."""
    qualname = getattr(model_fn, "__qualname__", None)
    if not isinstance(qualname, str) or "<lambda>" in qualname or "<locals>" in qualname:
        raise ObjectiveError(f"ModelObjective: the model must be a class or function defined at module level, so "
                             f"that kept networks name it unambiguously; got {model_fn!r}")
    return f"{getattr(model_fn, '__module__', '?')}:{qualname}"


class ModelObjective(TrainingObjective):
    """A :class:`TrainingObjective` whose network is ``model_fn``'s architecture of the trial: the trial's choice
    labels (those of ``model_space(model_fn)``) fix the choices, its other parameters are training options.
    ``dataset`` and ``options`` are those of :class:`TrainingObjective` (``epochs``, ``lr``, ``metric``, ...)."""

    def __init__(self, model_fn: ModelFn, dataset: Any = "digits", **options: Any) -> None:
        if "model" in options or "model_options" in options:
            raise ObjectiveError("ModelObjective: the model is model_fn; model and model_options are not options")
        self.model_fn = model_fn
        self.arch_space = model_space(model_fn)
        self.model_key = model_key(model_fn)
        know_model(self.model_key, partial(instantiate, model_fn))
        super().__init__(dataset, "nn_model", model_options={"fn": self.model_key, "choices": {}}, **options)

    def check_space(self, space: Space) -> None:
        """Refuse a study space that lacks one of the model's (always present) choices, or has a parameter that
        is neither a choice of the model nor a training option."""
        missing = [label for label, p in self.arch_space.items() if not p.when and label not in space]
        if missing:
            raise ObjectiveError(f"ModelObjective: the study's space has no parameter {missing[0]!r}, a choice of "
                                 f"the model; use hypernas.nn.model_space(model_fn) (with training parameters added)")
        rest = [self.aliases.get(n, n) for n in space.names if n not in self.arch_space]
        self._unread(rest, self.model)

    def configure(self, params: Mapping[str, Any]) -> tuple[str, dict[str, Any], TrainConfig]:
        """``("nn_model", {"fn": ..., "choices": the trial's choices}, train config)``."""
        arch = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items() if k in self.arch_space}
        name, kwargs, config = super().configure({k: v for k, v in params.items() if k not in self.arch_space})
        know_model(self.model_key, partial(instantiate, self.model_fn))  # a worker may have unpickled this objective
        return name, {**kwargs, "choices": arch}, config
