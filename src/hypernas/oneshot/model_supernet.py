"""Supernets of a model written with ``hypernas.nn`` choices, built from the same model callable.

:func:`model_supernet` makes every ``LayerChoice`` a mixture of its candidates and every ``InputChoice`` a
weighted sum of its inputs, with one row of architecture parameters per choice label (shared wherever the
label is): a :class:`~hypernas.oneshot.supernet.Supernet` that :class:`~hypernas.oneshot.darts.DARTSSearch`
and :class:`~hypernas.oneshot.gdas.GDASSearch` train, whose :meth:`~ModelSupernet.derive` is an architecture of
``model_space(model_fn)``. :func:`model_single_path` makes every such choice a single-path layer: a
:class:`~hypernas.oneshot.single_path.SinglePathSupernet` for :class:`~hypernas.oneshot.spos.SPOSSearch` and
:class:`~hypernas.oneshot.subnet.SupernetObjective`, whose subnets are such architectures too.

Value choices and repeats change shapes, so neither supernet mixes them: ``fixed`` gives each its value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import torch
from torch import nn

from hypernas.errors import InternalError, SpaceError
from hypernas.estimate.nn.choices import ChoiceSpec, ChosenInputs, FixedBuild
from hypernas.estimate.nn.space import ModelFn, run, space_of
from hypernas.oneshot.mixed import Mixing
from hypernas.oneshot.single_path import ChoiceOp, Path, SinglePathSupernet
from hypernas.oneshot.supernet import Supernet, seeded_build
from hypernas.space import Nested

_SEARCHED = ("layer", "input")


class _SupernetBuild(FixedBuild):
    """Value choices and repeats from ``fixed``; layer and input choices as the subclass makes them."""

    owner = "supernet"

    def chosen(self, spec: ChoiceSpec) -> Any:
        if spec.kind not in _SEARCHED and spec.label not in self.params:
            raise SpaceError(f"{self.owner}: {spec.kind} choice {spec.label!r} changes shapes, so the supernet takes "
                             f"it fixed; pass fixed={{{spec.label!r}: one of {spec.options!r}}}")
        return super().chosen(spec)


class MixedChoice(nn.Module):
    """A layer choice of a mixed supernet: the sum of its candidates weighted by row 0 of ``weights[label]``
    (candidates weighted exactly 0 are not computed; with hard weights they add their weight, as in
    :class:`~hypernas.oneshot.mixed.MixedOp`)."""

    def __init__(self, label: str, candidates: Mapping[str, nn.Module], mixing: Mixing) -> None:
        super().__init__()
        self.label = label
        self.names = list(candidates)
        self.candidates = nn.ModuleList(candidates.values())
        self.mixing = mixing

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.mixing
        if m.weights is None:
            raise InternalError("a mixed choice runs only inside its supernet's forward, which sets the weights")
        w = m.weights[self.label][0]
        active = m.active[self.label][0]
        out = _sum([w[k] * self.candidates[k](x) for k in active])
        if m.hard:
            out = _sum([out, *(w[k] for k in range(len(self.names)) if k not in active)])
        return out


class MixedInputs(nn.Module):
    """An input choice of a mixed supernet: the inputs weighted by row 0 of ``weights[label]``, summed (times
    ``n_chosen`` for ``sum``, as many inputs as the fixed network adds) or averaged (``mean``)."""

    def __init__(self, label: str, n_chosen: int, reduction: str, mixing: Mixing) -> None:
        super().__init__()
        self.label = label
        self.n_chosen = n_chosen
        self.reduction = reduction
        self.mixing = mixing

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        m = self.mixing
        if m.weights is None:
            raise InternalError("a mixed input choice runs only inside its supernet's forward, which sets the weights")
        w = m.weights[self.label][0]
        out = _sum([w[k] * inputs[k] for k in m.active[self.label][0]])
        return out * self.n_chosen if self.reduction == "sum" else out


def _sum(terms: list[Any]) -> Any:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


class _MixedBuild(_SupernetBuild):
    owner = "model supernet"

    def __init__(self, fixed: Mapping[str, Any], mixing: Mixing) -> None:
        super().__init__(fixed)
        self.mixing = mixing

    def layer(self, spec: ChoiceSpec, candidates: Mapping[str, nn.Module]) -> nn.Module:
        return MixedChoice(spec.label, candidates, self.mixing)

    def inputs(self, spec: ChoiceSpec, n_candidates: int, reduction: str) -> nn.Module:
        if reduction == "concat" and len(spec.options[0]) < n_candidates:
            raise SpaceError(f"{self.owner}: input choice {spec.label!r} concatenates {len(spec.options[0])} of "
                             f"{n_candidates} inputs, which a weighted sum cannot stand for; use reduction 'sum' or "
                             "'mean' to search it with a mixed supernet")
        if reduction == "concat":
            return ChosenInputs(spec.options[0], reduction)
        return MixedInputs(spec.label, len(spec.options[0]), reduction, self.mixing)


class ModelSupernet(Supernet):
    """The mixed supernet of a model (see :func:`model_supernet`): ``alphas[label]`` is a ``(1, options)`` row
    per layer choice (options: its candidates) and per input choice (options: its inputs)."""

    def __init__(self, network: nn.Module, specs: Mapping[str, ChoiceSpec], n_inputs: Mapping[str, int],
                 fixed: Mapping[str, Any], mixing: Mixing, *, generator: torch.Generator | None = None) -> None:
        nn.Module.__init__(self)
        self.network = network
        self.mixing = mixing
        self.specs = dict(specs)
        self.fixed = dict(fixed)
        self.n_inputs = dict(n_inputs)
        self.op_names = ()
        self.layouts = {label: [(0, 1)] for label in self.specs if self._searched(label)}
        if not self.layouts:
            raise SpaceError("model supernet: the model has no layer or input choice to search with weights")
        self.alphas = nn.ParameterDict({label: nn.Parameter(torch.zeros(1, self._width(label)))
                                        for label in self.layouts})
        self.betas = nn.ParameterDict({})
        self.aux_skip = 0.0
        self.reset_arch(generator)

    def _searched(self, label: str) -> bool:
        spec = self.specs[label]
        return spec.kind == "layer" or (spec.kind == "input" and label in self.n_inputs)

    def _width(self, label: str) -> int:
        spec = self.specs[label]
        return len(spec.options) if spec.kind == "layer" else self.n_inputs[label]

    @property
    def edge_labels(self) -> dict[str, list[str]]:
        """Each choice's one row, named by its label."""
        return {label: [label] for label in self.layouts}

    def derive(self) -> dict[str, Any]:
        """The architecture (``{label: value}`` of ``model_space(model_fn)``): each layer choice's strongest
        candidate (other than one named ``none``), each input choice's ``n_chosen`` strongest inputs, and the
        fixed values."""
        out: dict[str, Any] = {}
        weights = {k: v[0].tolist() for k, v in self.edge_strength().items()}
        for label, spec in self.specs.items():
            if label not in weights:
                out[label] = self.fixed[label] if label in self.fixed else spec.options[0]
            elif spec.kind == "layer":
                real = [k for k, name in enumerate(spec.options) if name != "none"] or list(range(len(spec.options)))
                out[label] = spec.options[max(real, key=lambda k: weights[label][k])]
            else:
                ranked = sorted(range(len(weights[label])), key=lambda k: -weights[label][k])
                out[label] = sorted(ranked[:len(spec.options[0])])
        return out

    def collapse_signal(self, genotype: Any | None = None) -> dict[str, dict[str, float]]:
        """No skip-connection collapse signal: a model's candidates have no common names."""
        return {"skip_weight": {}, "skips": {}}


def model_supernet(model_fn: ModelFn, fixed: Mapping[str, Any] | None = None, *, seed: int = 0) -> ModelSupernet:
    """The model with every layer choice mixing its candidates and every input choice weighing its inputs (for
    DARTS and GDAS); ``fixed`` gives each value choice and repeat its value. ``seed`` draws the initial weights."""
    mixing = Mixing(fused=False)
    build = _MixedBuild(dict(fixed or {}), mixing)
    network = seeded_build(seed, lambda: run(model_fn, build))
    n_inputs = {m.label: 0 for m in network.modules() if isinstance(m, MixedInputs)}
    for label in n_inputs:
        n_inputs[label] = max(max(o) for o in build.specs[label].options) + 1
    return ModelSupernet(network, build.specs, n_inputs, build.params, mixing,
                         generator=torch.Generator().manual_seed(seed))


class _PathBuild(_SupernetBuild):
    owner = "model single-path supernet"

    def __init__(self, fixed: Mapping[str, Any]) -> None:
        super().__init__(fixed)
        self.layers: list[tuple[str, ChoiceOp]] = []

    def layer(self, spec: ChoiceSpec, candidates: Mapping[str, nn.Module]) -> nn.Module:
        op = ChoiceOp(spec.options, list(candidates.values()))
        self.layers.append((spec.label, op))
        return op

    def inputs(self, spec: ChoiceSpec, n_candidates: int, reduction: str) -> nn.Module:
        op = ChoiceOp(spec.options, [ChosenInputs(o, reduction) for o in spec.options])
        self.layers.append((spec.label, op))
        return op


def model_single_path(model_fn: ModelFn, fixed: Mapping[str, Any] | None = None, *,
                      seed: int = 0) -> SinglePathSupernet:
    """The model with every layer and input choice holding all its options, of which a forward pass runs one
    (for SPOS); ``fixed`` gives each value choice and repeat its value. Its space is a
    :class:`~hypernas.space.Nested` parameter over the layer and input choices: a subnet is ``{label: value}``,
    and ``instantiate(model_fn, {**subnet, **fixed})`` is its network."""
    build = _PathBuild(dict(fixed or {}))
    network = seeded_build(seed, lambda: run(model_fn, build))
    searched = {label: spec for label, spec in build.specs.items() if spec.kind in _SEARCHED}
    if not searched:
        raise SpaceError("model single-path supernet: the model has no layer or input choice to search")
    space = Nested(space_of(searched), name="arch")
    labels = [label for label, _ in build.layers]
    return SinglePathSupernet(network, space, [op for _, op in build.layers], partial(_path, labels, searched))


def _path(labels: list[str], specs: Mapping[str, ChoiceSpec], arch: Mapping[str, Any]) -> Path:
    """Each layer runs its label's chosen option."""
    return [specs[label].options.index(arch[label]) for label in labels]
