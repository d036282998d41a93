"""Training losses: cross-entropy (with label smoothing) and focal loss, both with optional class weights."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from hypernas.errors import ConfigError


class FocalLoss(nn.Module):
    """Focal loss (Lin et al. 2017): cross-entropy scaled by ``(1 - p_true) ** gamma`` to focus on hard examples."""

    def __init__(self, gamma: float = 2.0, weight: torch.Tensor | None = None, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or gamma < 0:
            raise ConfigError(f"focal loss gamma must be a number >= 0, got {gamma!r}")
        self.gamma = float(gamma)
        self.label_smoothing = label_smoothing
        self.register_buffer("weight", weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits, target, reduction="none", label_smoothing=self.label_smoothing)
        p_true = torch.exp(-F.cross_entropy(logits, target, reduction="none"))
        loss = (1 - p_true) ** self.gamma * ce
        if self.weight is not None:
            w = self.weight[target]
            return (loss * w).sum() / w.sum()
        return loss.mean()


def balanced_class_weights(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``n / (k * count_c)`` per class, as scikit-learn's "balanced"; an absent class gets weight 0."""
    counts = torch.bincount(labels.long().cpu(), minlength=num_classes).double()
    weights = torch.where(counts > 0, len(labels) / (num_classes * counts.clamp(min=1)), torch.zeros_like(counts))
    return weights.float()


def class_weights(spec: str | Sequence[float] | None, labels: torch.Tensor, num_classes: int) -> torch.Tensor | None:
    """Class weights from ``None``, ``"balanced"`` or one number per class."""
    if spec is None:
        return None
    if spec == "balanced":
        return balanced_class_weights(labels, num_classes)
    if isinstance(spec, str) or len(spec) != num_classes or any(
            isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in spec):
        raise ConfigError(f"class_weights must be 'balanced' or {num_classes} numbers >= 0 (one per class), got {spec!r}")
    return torch.tensor([float(w) for w in spec])


def make_loss(name: str, *, weight: torch.Tensor | None = None, label_smoothing: float = 0.0,
              focal_gamma: float = 2.0) -> nn.Module:
    """``cross_entropy`` or ``focal``, with class weights and label smoothing."""
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) or not 0 <= label_smoothing < 1:
        raise ConfigError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
    if name == "cross_entropy":
        return nn.CrossEntropyLoss(weight=weight, label_smoothing=float(label_smoothing))
    if name == "focal":
        return FocalLoss(focal_gamma, weight, float(label_smoothing))
    raise ConfigError(f"unknown loss {name!r}; allowed: cross_entropy, focal")
