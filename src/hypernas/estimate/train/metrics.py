"""Classification metrics from a confusion matrix: accuracy, per-class accuracy (recall), macro-F1."""

from __future__ import annotations

import torch


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``cm[true, predicted]`` counts, on the tensors' device."""
    idx = target.long() * num_classes + pred.long()
    return torch.bincount(idx, minlength=num_classes * num_classes).view(num_classes, num_classes)


def summarize(cm: torch.Tensor, loss_sum: float, count: int) -> dict[str, float | list[float]]:
    """``accuracy``, ``per_class_accuracy`` (recall of each class; NaN-free: 0 for an absent class),
    ``macro_f1`` (mean F1 over the classes present in targets or predictions) and mean ``loss``."""
    cm = cm.double().cpu()
    tp = cm.diag()
    support = cm.sum(1)
    predicted = cm.sum(0)
    total = float(cm.sum())
    per_class = torch.where(support > 0, tp / support.clamp(min=1), torch.zeros_like(tp))
    denom = support + predicted
    f1 = torch.where(denom > 0, 2 * tp / denom.clamp(min=1), torch.zeros_like(tp))
    present = denom > 0
    return {
        "accuracy": float(tp.sum() / total) if total else 0.0,
        "per_class_accuracy": [float(v) for v in per_class],
        "macro_f1": float(f1[present].mean()) if bool(present.any()) else 0.0,
        "loss": loss_sum / count if count else float("nan"),
    }
