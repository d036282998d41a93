"""Training losses: cross-entropy (with label smoothing) and focal loss, both with optional class weights."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from hypernas.errors import ConfigError
from hypernas.validate import check_choice, check_number, is_number

LOSSES = ("cross_entropy", "focal")


class FocalLoss(nn.Module):
    """Focal loss (Lin et al. 2017): cross-entropy scaled by ``(1 - p_true) ** gamma`` to focus on hard examples."""

    weight: torch.Tensor | None

    def __init__(self, gamma: float = 2.0, weight: torch.Tensor | None = None, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.gamma = check_number("focal loss", "gamma", gamma, 0.0)
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
    if isinstance(spec, str) or len(spec) != num_classes or any(not is_number(w) or w < 0 for w in spec):
        raise ConfigError(f"training: class_weights must be 'balanced' or {num_classes} numbers >= 0 (one per class), "
                          f"got {spec!r}")
    return torch.tensor([float(w) for w in spec])


def make_loss(name: str, *, weight: torch.Tensor | None = None, label_smoothing: float = 0.0,
              focal_gamma: float = 2.0) -> nn.Module:
    """``cross_entropy`` or ``focal``, with class weights and label smoothing."""
    smoothing = check_number("training", "label_smoothing", label_smoothing, 0.0, 1.0, high_open=True)
    if check_choice("training", "loss", name, LOSSES) == "cross_entropy":
        return nn.CrossEntropyLoss(weight=weight, label_smoothing=smoothing)
    return FocalLoss(focal_gamma, weight, smoothing)
