"""Optimizers by name, and the Adam -> SGD switch (SWATS, Keskar & Socher 2017) with its learning-rate estimate."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from hypernas.validate import check_choice

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], *, lr: float, momentum: float = 0.9,
                   nesterov: bool = False, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """SGD (with momentum and optionally Nesterov), Adam, AdamW or RMSprop."""
    check_choice("training", "optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=bool(nesterov) and momentum > 0,
                               weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def swats_sgd_lr(optimizer: torch.optim.Optimizer, momentum: float) -> float | None:
    """The SGD learning rate SWATS derives from Adam's state, or None before Adam has taken a step.

    Adam's step ``p = -lr * m_hat / (sqrt(v_hat) + eps)`` is projected on the gradient estimate
    ``g = m_hat``: ``lambda = (p . p) / (-p . g)`` is the SGD step size along ``g`` that moves as far as
    Adam would; with momentum ``beta`` (PyTorch's undamped form) the learning rate is ``(1 - beta) * lambda``.
    """
    pp = torch.zeros((), dtype=torch.float64)
    pg = torch.zeros((), dtype=torch.float64)
    for group in optimizer.param_groups:
        beta1, beta2 = group.get("betas", (0.9, 0.999))
        for param in group["params"]:
            state = optimizer.state.get(param)
            if not state or "exp_avg" not in state:
                continue
            t = float(state["step"])
            m_hat = state["exp_avg"].double() / (1 - beta1 ** t)
            v_hat = state["exp_avg_sq"].double() / (1 - beta2 ** t)
            p = -group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
            pp += (p * p).sum().cpu()
            pg += (p * m_hat).sum().cpu()
    if pg >= 0 or pp == 0:
        return None
    return float((1 - momentum) * pp / -pg) if momentum < 1 else float(pp / -pg)
