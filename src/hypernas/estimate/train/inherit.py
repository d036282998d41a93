"""Weight inheritance: start a child network from its parent's trained weights wherever they fit.

A child derived from an evaluated parent (a mutation, a crossover, a morphism) shares most of its
parts with it. Every parameter and buffer whose name and shape match is copied; the rest keeps the
child's fresh initialisation. The record says, per part (module), what was inherited, so that a
user sees how much training a child was spared, and which parameters incremental training may
hold fixed (``frozen_epochs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class Inheritance:
    """What a child took from its parent: per part (module name, ``""`` for the root) ``"copied"`` (every tensor),
    ``"partial"`` (some) or ``"fresh"`` (none); the names of the parameters copied whole (``frozen``), and the
    counts."""

    parent: int
    parts: dict[str, str] = field(default_factory=dict)
    frozen: list[str] = field(default_factory=list)
    params_inherited: int = 0
    params_total: int = 0

    @property
    def fraction(self) -> float:
        """The fraction of the child's parameters (by count of numbers) taken from the parent."""
        return self.params_inherited / self.params_total if self.params_total else 0.0

    def record(self) -> dict[str, Any]:
        """As JSON data for the trial's record."""
        return {"parent": self.parent, "fraction": round(self.fraction, 6), "params_inherited": self.params_inherited,
                "params_total": self.params_total, "parts": dict(self.parts)}


def _module_of(name: str) -> str:
    return name.rpartition(".")[0]


def copy_matching(parent: nn.Module, child: nn.Module, parent_number: int) -> Inheritance:
    """Copy into ``child`` every parameter and buffer of ``parent`` with the same name and shape (in place)."""
    source = parent.state_dict()
    params = dict(child.named_parameters())
    copied: dict[str, list[bool]] = {}
    out = Inheritance(parent_number, params_total=sum(p.numel() for p in params.values()))
    with torch.no_grad():
        for name, tensor in child.state_dict().items():
            if tensor.dtype == torch.long and name.endswith("num_batches_tracked"):
                continue  # a counter, not a weight
            theirs = source.get(name)
            match = theirs is not None and theirs.shape == tensor.shape and theirs.dtype == tensor.dtype
            if match:
                tensor.copy_(theirs)
                if name in params:
                    out.frozen.append(name)
                    out.params_inherited += tensor.numel()
            copied.setdefault(_module_of(name), []).append(bool(match))
    out.parts = {part: "copied" if all(flags) else "partial" if any(flags) else "fresh"
                 for part, flags in copied.items()}
    return out
