"""Network morphisms: start a child network from its trained parent so that it computes the parent's function.

:func:`morph_transfer` copies a parent's weights into a freshly built child of the same family whose
genotype is the parent's changed by function-preserving moves (those of the spaces' ``morphisms``):

- chain networks (:class:`~hypernas.estimate.models.chain.ChainNet`): Net2Net widening of a conv or dense
  layer (new units replicate random existing ones, the next layer divides their incoming weights by the
  replication count; through a flatten, per channel block), a larger odd conv kernel (zero-padded), and
  inserted layers set to the identity: a stride-1 "same" conv (identity kernel) or a dense layer (identity
  matrix) whose ReLU sees a non-negative input or that has no activation, a batch norm, a dropout;
- NAS-Bench-201 networks: a ``none`` edge that became a convolution starts with its last batch norm at zero,
  so the new connection adds nothing; unchanged edges and every other part are copied.

Each part of the child is reported as ``copied``, ``widened`` (more units or inputs, or a larger kernel),
``identity``, ``zero`` (a new connection that outputs zero) or ``fresh`` (kept as initialised: the child's
function differs there). A change of the NB201 network's width (``channels``) is not handled (None).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from hypernas.estimate.models.chain import ChainNet
from hypernas.estimate.models.nb201 import NB201Network, _Cell
from hypernas.estimate.models.ops import Zero, dag_edges

_NON_NEGATIVE = ("relu", "sigmoid")
_IDENTITY_ACTIVATIONS = (None, "none", "linear", "identity")


class _Unreachable(Exception):
    """The child is not the parent changed by morphisms."""


def morph_transfer(parent: nn.Module, child: nn.Module, rng: np.random.Generator | None = None) -> dict[str, str] | None:
    """Copy ``parent``'s weights into ``child`` so that the child computes the parent's function (in eval mode).

    Returns what was done to each part of the child (e.g. ``{"layer 0 conv": "widened", "layer 1 conv": "identity",
    "classifier": "copied"}``), or None when the networks are not of one family handled here (chain, NB201) or the
    child is not reachable from the parent by morphisms. ``rng`` picks the units a widening replicates (seed 0 if
    None). Parts reported ``fresh`` keep their initialisation.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    try:
        with torch.no_grad():
            if isinstance(parent, ChainNet) and isinstance(child, ChainNet):
                return _ChainMorph(parent, child, rng).run()
            if type(parent) is NB201Network and type(child) is NB201Network:
                return _nb201(parent, child)
    except _Unreachable:
        return None
    return None


# --- chain networks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Point:
    """The signal between two layers: which parent unit each child unit carries (``src``; None before the first layer:
    the input itself), how many units the parent has there, whether the parent's signal is non-negative, and whether
    ``src`` counts channels of a feature map (to be spread over its positions when flattened)."""

    src: np.ndarray | None
    n: int
    nonneg: bool = False
    per_channel: bool = True

    def counts(self) -> np.ndarray:
        assert self.src is not None
        counts = np.bincount(self.src, minlength=self.n)
        if (counts == 0).any():
            raise _Unreachable
        return counts


def _widened(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Units ``0..n-1`` then ``size - n`` random replicas of them."""
    if size < n:
        raise _Unreachable
    return np.concatenate([np.arange(n), rng.integers(n, size=size - n)]).astype(int)


def _compatible(p: dict[str, Any], c: dict[str, Any]) -> bool:
    """Whether child layer ``c`` can be parent layer ``p`` kept, widened, or with a larger kernel."""
    if p["type"] != c["type"]:
        return False
    rest = ("filters", "kernel") if p["type"] == "conv" else ("units",) if p["type"] == "dense" else ()
    if any(p[k] != c[k] for k in p if k not in rest):
        return False
    if p["type"] == "conv":
        grown = c["kernel"] != p["kernel"]
        return c["filters"] >= p["filters"] and (not grown or (c["kernel"] > p["kernel"] and p["padding"] == "same"
                                                              and p["kernel"] % 2 == 1 and c["kernel"] % 2 == 1))
    return p["type"] != "dense" or c["units"] >= p["units"]


class _ChainMorph:
    """One transfer between two chain networks, layer by layer over the child's genotype."""

    def __init__(self, parent: ChainNet, child: ChainNet, rng: np.random.Generator) -> None:
        self.parent, self.child, self.rng = parent.genotype, child.genotype, rng
        self.p_modules = [m for _, _, m in parent.weighted()]
        self.c_modules = [m for _, _, m in child.weighted()]
        self.report: dict[str, str] = {}

    def run(self) -> dict[str, str]:
        pairs, j = [], 0
        for layer in self.child:
            match = j < len(self.parent) and _compatible(self.parent[j], layer)
            pairs.append(self.parent[j] if match else None)
            j += match
        if j < len(self.parent):
            raise _Unreachable
        p_iter, c_iter = iter(self.p_modules), iter(self.c_modules)
        point: _Point | None = _Point(None, 0)
        for i, (layer, old) in enumerate(zip(self.child, pairs)):
            name = f"layer {i} {layer['type']}"
            modules = (next(p_iter) if old else None, next(c_iter)) if layer["type"] in ("conv", "dense", "batchnorm") else None
            if old is not None:
                point = self._kept(name, layer, modules, point)
            else:
                point = self._inserted(name, layer, modules, point)
        p_last, c_last = next(p_iter, None), next(c_iter, None)
        if not isinstance(p_last, nn.Linear) or not isinstance(c_last, nn.Linear) or p_last.out_features != c_last.out_features:
            raise _Unreachable
        self._copy_linear("classifier", p_last, c_last, point, None)
        return self.report

    # a parent layer kept (maybe widened)
    def _kept(self, name: str, layer: dict[str, Any], modules: tuple[Any, Any] | None, point: _Point | None) -> _Point | None:
        kind = layer["type"]
        if modules is None:  # no parameters: the signal passes as it does in the parent
            self.report[name] = "copied"
            if point is None:
                return None
            if kind == "activation":
                return replace(point, nonneg=layer["fn"] in _NON_NEGATIVE or (point.nonneg and layer["fn"] in _IDENTITY_ACTIVATIONS))
            return replace(point, per_channel=False) if kind == "global_pool" else point
        p_mod, c_mod = modules
        if kind == "conv":
            return self._copy_conv(name, p_mod, c_mod, point, layer["activation"])
        if kind == "dense":
            return self._copy_linear(name, p_mod, c_mod, point, layer["activation"])
        return self._copy_norm(name, p_mod, c_mod, point)

    def _fresh(self, name: str) -> None:
        self.report[name] = "fresh"

    def _inputs(self, point: _Point, size: int) -> tuple[np.ndarray, np.ndarray, int]:
        """``src`` and counts of the ``size`` inputs of a layer, and the parent's number of inputs there."""
        if point.src is None:
            return np.arange(size), np.ones(size, dtype=int), size
        if len(point.src) == size:
            return point.src, point.counts(), point.n
        if not point.per_channel or size % len(point.src):  # a flattened feature map: channel blocks of hw positions
            raise _Unreachable
        hw = size // len(point.src)
        src = (point.src[:, None] * hw + np.arange(hw)[None, :]).ravel()
        return src, np.repeat(point.counts(), hw), point.n * hw

    def _copy_conv(self, name: str, p: nn.Conv2d, c: nn.Conv2d, point: _Point | None, activation: Any) -> _Point | None:
        if point is None:
            self._fresh(name)
            return None
        src_in, counts, n_in = self._inputs(point, c.in_channels)
        if p.in_channels != n_in:
            raise _Unreachable
        src_out = _widened(p.out_channels, c.out_channels, self.rng)
        w = p.weight[src_out][:, src_in] / torch.as_tensor(counts[src_in], dtype=p.weight.dtype).view(1, -1, 1, 1)
        d = (c.kernel_size[0] - p.kernel_size[0]) // 2
        c.weight.zero_()
        c.weight[:, :, d:d + p.kernel_size[0], d:d + p.kernel_size[1]] = w.to(c.weight)
        if p.bias is not None and c.bias is not None:
            c.bias.copy_(p.bias[src_out])
        self.report[name] = "copied" if c.weight.shape == p.weight.shape else "widened"
        return _Point(src_out, p.out_channels, activation in _NON_NEGATIVE)

    def _copy_linear(self, name: str, p: nn.Linear, c: nn.Linear, point: _Point | None, activation: Any) -> _Point | None:
        if point is None:
            self._fresh(name)
            return None
        src_in, counts, n_in = self._inputs(point, c.in_features)
        if p.in_features != n_in:  # e.g. a pooling inserted before the flatten: other positions
            self._fresh(name)
            return None
        src_out = _widened(p.out_features, c.out_features, self.rng)
        w = p.weight[src_out][:, src_in] / torch.as_tensor(counts[src_in], dtype=p.weight.dtype).view(1, -1)
        c.weight.copy_(w)
        c.bias.copy_(p.bias[src_out])
        self.report[name] = "copied" if c.weight.shape == p.weight.shape else "widened"
        return _Point(src_out, p.out_features, activation in _NON_NEGATIVE, per_channel=False)

    def _copy_norm(self, name: str, p: nn.modules.batchnorm._BatchNorm, c: nn.modules.batchnorm._BatchNorm,
                   point: _Point | None) -> _Point | None:
        if point is None or point.src is None or len(point.src) != c.num_features or p.num_features != point.n:
            self._fresh(name)
            return None
        for key in ("weight", "bias", "running_mean", "running_var"):
            getattr(c, key).copy_(getattr(p, key)[point.src])
        if c.num_batches_tracked is not None and p.num_batches_tracked is not None:
            c.num_batches_tracked.copy_(p.num_batches_tracked)
        self.report[name] = "copied" if c.num_features == p.num_features else "widened"
        return replace(point, nonneg=False)

    # a layer the parent does not have: the identity where possible
    def _inserted(self, name: str, layer: dict[str, Any], modules: tuple[Any, Any] | None,
                  point: _Point | None) -> _Point | None:
        kind = layer["type"]
        if kind in ("dropout", "flatten") or (kind == "activation" and point is not None and (
                layer["fn"] in _IDENTITY_ACTIVATIONS or (layer["fn"] == "relu" and point.nonneg))):
            self.report[name] = "identity"
            return point
        if kind in ("pool", "global_pool", "activation"):  # the function changes; the units stay where they were
            self._fresh(name)
            return None if point is None else replace(point, per_channel=point.per_channel and kind != "global_pool")
        assert modules is not None
        c = modules[1]
        if point is None:
            self._fresh(name)
            return None
        if kind == "batchnorm":
            if point.src is None or len(point.src) != c.num_features:
                self._fresh(name)
                return None
            c.weight.fill_(1.0)
            c.bias.zero_()
            c.running_mean.zero_()
            c.running_var.fill_(1.0 - c.eps)  # (x - 0) / sqrt(1 - eps + eps) = x
            self.report[name] = "identity"
            return point
        activation = layer["activation"]
        passes = activation in _IDENTITY_ACTIVATIONS or (activation == "relu" and point.nonneg)
        same = kind == "dense" or (layer["stride"] == 1 and layer["padding"] == "same" and layer["kernel"] % 2 == 1)
        size = c.in_features if kind == "dense" else c.in_channels
        if not (passes and same) or (point.src is None and kind == "conv"):
            self._fresh(name)
            return None
        src_in, counts, n = self._inputs(point, size)
        out = c.out_features if kind == "dense" else c.out_channels
        if out < n:
            self._fresh(name)
            return None
        src_out = _widened(n, out, self.rng)
        eye = torch.as_tensor((src_out[:, None] == src_in[None, :]) / counts[src_in][None, :], dtype=c.weight.dtype)
        c.weight.zero_()
        if kind == "dense":
            c.weight.copy_(eye)
        else:
            k = c.kernel_size[0] // 2
            c.weight[:, :, k, k] = eye
        c.bias.zero_()
        self.report[name] = "identity"
        return _Point(src_out, n, point.nonneg, per_channel=kind == "conv")


# --- NAS-Bench-201 networks ----------------------------------------------------------------------

def _last_norm(module: nn.Module) -> nn.BatchNorm2d | None:
    norms = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    return norms[-1] if norms else None


def _same_structure(a: nn.Module, b: nn.Module) -> bool:
    return type(a) is type(b) and str(a) == str(b) and all(
        x.shape == y.shape for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def _nb201(parent: NB201Network, child: NB201Network) -> dict[str, str]:
    """Copy every part; a ``none`` edge that became a convolution starts at zero; other changed edges are fresh."""
    if len(parent.features) != len(child.features):
        raise _Unreachable
    report: dict[str, str] = {}
    n_cell = 0
    for k, (p, c) in enumerate(zip(parent.features, child.features)):
        if isinstance(p, _Cell) != isinstance(c, _Cell):
            raise _Unreachable
        if not isinstance(p, _Cell):
            if not _same_structure(p, c):  # another width: not handled
                raise _Unreachable
            c.load_state_dict(p.state_dict())
            if any(True for _ in c.parameters()):
                report[f"features.{k}"] = "copied"
            continue
        assert isinstance(c, _Cell)
        if len(p.ops) != len(c.ops):
            raise _Unreachable
        for (i, j), p_op, c_op in zip(dag_edges(len(p.ops)), p.ops, c.ops):
            name = f"cell {n_cell} edge {j}<-{i}"
            norm = _last_norm(c_op)
            if _same_structure(p_op, c_op):
                c_op.load_state_dict(p_op.state_dict())
                report[name] = "copied"
            elif isinstance(p_op, Zero) and norm is not None:
                norm.weight.zero_()
                norm.bias.zero_()
                report[name] = "zero"
            else:
                report[name] = "fresh"
        n_cell += 1
    if not _same_structure(parent.classifier, child.classifier):
        raise _Unreachable
    child.classifier.load_state_dict(parent.classifier.state_dict())
    report["classifier"] = "copied"
    return report
