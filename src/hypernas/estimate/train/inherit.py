"""Weight inheritance: start a child network from its parent's trained weights wherever they fit.

A child derived from an evaluated parent (a mutation, a crossover, a morphism) shares most of its
parts with it. Every parameter and buffer whose name and shape match is copied; the rest keeps the
child's fresh initialisation. Chain networks, whose module names shift when a layer is added or
removed, are matched layer by layer along their genotypes instead. A child that is its parent changed by
network morphisms (:mod:`~hypernas.estimate.models.morph`) starts computing exactly its parent's
function: widened layers, identity layers and new zero connections are set up for it. The record says, per part (module), what was inherited, so that a
user sees how much training a child was spared, and which parameters incremental training may
hold fixed (``frozen_epochs``).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from hypernas.estimate.models.chain import ChainNet
from hypernas.estimate.models.morph import morph_transfer


@dataclass
class Inheritance:
    """What a child took from its parent: per part (a module; for chain networks ``"layer 2 conv"``) how it
    started (``"copied"`` or ``"fresh"``, and after a morphism ``"widened"``, ``"identity"`` or ``"zero"``); the
    names of the parameters copied as they were (``frozen`` while ``frozen_epochs`` last), and the counts."""

    parent: int
    parts: dict[str, str] = field(default_factory=dict)
    function_preserving: bool = False
    frozen: list[str] = field(default_factory=list)
    params_inherited: int = 0
    params_total: int = 0
    error: str | None = None

    @property
    def fraction(self) -> float:
        """The fraction of the child's parameters (by count of numbers) taken from the parent."""
        return self.params_inherited / self.params_total if self.params_total else 0.0

    def record(self) -> dict[str, Any]:
        """As JSON data for the trial's record."""
        return {"parent": self.parent, "fraction": round(self.fraction, 6), "params_inherited": self.params_inherited,
                "params_total": self.params_total, "function_preserving": self.function_preserving,
                "parts": dict(self.parts), **({"error": self.error} if self.error else {})}


def _module_of(name: str) -> str:
    return name.rpartition(".")[0]


def inherit(parent: nn.Module, child: nn.Module, parent_number: int, rng: np.random.Generator) -> Inheritance:
    """Start ``child`` from ``parent`` (in place): by morphism when the child is one (``rng`` picks the units a
    widening replicates), else by :func:`copy_matching`."""
    chain = isinstance(child, ChainNet)  # a chain reports its parts; other networks are compared with their init
    before = {} if chain else {k: v.clone() for k, v in child.state_dict().items()}
    report = morph_transfer(parent, child, rng)
    if report is None:
        return copy_matching(parent, child, parent_number)
    out = Inheritance(parent_number, dict(report), "fresh" not in report.values(),
                      params_total=sum(p.numel() for p in child.parameters()))
    if isinstance(child, ChainNet):  # the parts of the report are the chain's layers
        modules = {part: name for part, name, _ in child.weighted()}
        copied = {modules[part] for part, how in report.items() if how == "copied" and part in modules}
        started = {modules[part] for part, how in report.items() if how in ("copied", "widened") and part in modules}
    else:  # the same structure: a parameter the parent has, copied as it was
        source = parent.state_dict()
        copied = started = {_module_of(name) for name, t in child.state_dict().items()
                            if name in source and source[name].shape == t.shape and torch.equal(source[name], t)
                            and not torch.equal(before[name], t)}
    for name, p in child.named_parameters():
        if _module_of(name) in started:
            out.params_inherited += p.numel()
        if _module_of(name) in copied:
            out.frozen.append(name)
    return out


def copy_matching(parent: nn.Module, child: nn.Module, parent_number: int) -> Inheritance:
    """Copy into ``child`` every parameter and buffer of ``parent`` with the same name and shape (in place); chain
    networks by aligned layers."""
    if isinstance(parent, ChainNet) and isinstance(child, ChainNet):
        return _copy_aligned(parent, child, parent_number)
    return _copy_named(parent.state_dict(), child, parent_number)


def _copy_aligned(parent: ChainNet, child: ChainNet, parent_number: int) -> Inheritance:
    """Match the layers of two chain genotypes (longest common runs, as ``difflib`` aligns lines) and copy each
    matched layer whose tensors all have the child's shapes; the classifier too when its shape fits."""
    def keys(net: ChainNet) -> list[str]:
        return [json.dumps(spec, sort_keys=True) for spec in net.genotype if spec["type"] in ("conv", "dense", "batchnorm")]

    p_parts = [(part, name) for part, name, _ in parent.weighted()]
    c_parts = [(part, name) for part, name, _ in child.weighted()]
    pairs = {len(c_parts) - 1: len(p_parts) - 1}  # the classifiers
    matcher = difflib.SequenceMatcher(None, keys(parent), keys(child), autojunk=False)
    for block in matcher.get_matching_blocks():
        pairs.update({block.b + k: block.a + k for k in range(block.size)})
    source: dict[str, torch.Tensor] = {}
    p_state = parent.state_dict()
    for c_index, p_index in pairs.items():
        p_module, c_module = p_parts[p_index][1], c_parts[c_index][1]
        source.update({f"{c_module}.{k[len(p_module) + 1:]}": v for k, v in p_state.items() if k.startswith(p_module + ".")})
    out = _copy_named(source, child, parent_number)
    names = {module: part for part, module in c_parts}
    out.parts = {names[module]: how for module, how in out.parts.items() if module in names}
    return out


def _copy_named(source: dict[str, torch.Tensor], child: nn.Module, parent_number: int) -> Inheritance:
    """Copy each module of the child whose tensors all have a namesake of the same shape in ``source``."""
    params = dict(child.named_parameters())
    modules: dict[str, list[tuple[str, torch.Tensor]]] = {}
    for name, tensor in child.state_dict().items():
        if not name.endswith("num_batches_tracked"):  # a counter, not a weight
            modules.setdefault(_module_of(name), []).append((name, tensor))
    out = Inheritance(parent_number, params_total=sum(p.numel() for p in params.values()))
    with torch.no_grad():
        for module, tensors in modules.items():
            fits = all(name in source and source[name].shape == t.shape and source[name].dtype == t.dtype
                       for name, t in tensors)
            out.parts[module] = "copied" if fits else "fresh"
            for name, tensor in tensors if fits else ():
                tensor.copy_(source[name])
                if name in params:
                    out.frozen.append(name)
                    out.params_inherited += tensor.numel()
    return out
