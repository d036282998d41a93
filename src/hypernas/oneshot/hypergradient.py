"""The architecture gradient of DARTS: first order, or second order through one unrolled weight step.

Second order as published (Liu et al. 2019, eq. 7-8): the virtual step
``w' = w - xi (mu m + dL_train/dw + lambda w)`` is the weight optimiser's next SGD step (momentum
buffer ``m``, momentum ``mu``, weight decay ``lambda``, learning rate ``xi``); the gradient is
``dL_val(w', a)/da - xi (dL_train(w+, a)/da - dL_train(w-, a)/da) / (2 eps)`` with
``w+- = w +- eps v``, ``v = dL_val(w', a)/dw'`` and ``eps = 0.01 / ||v||`` (a central finite
difference of the Hessian-vector product). The network's weights are never overwritten: the
shifted weights go through :func:`torch.func.functional_call`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch.func import functional_call

from hypernas.oneshot.supernet import Supernet

Batch = tuple[torch.Tensor, torch.Tensor]
"""Inputs and class labels."""

STEP = 0.01
"""The length of the finite difference's step in weight space (``eps ||v||``), as published."""


def _grads(loss: torch.Tensor, params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    found = torch.autograd.grad(loss, list(params), allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, found)]


def loss_with(supernet: Supernet, batch: Batch, weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The cross-entropy on ``batch``, with the network's weights replaced by ``weights`` (names as in the supernet)."""
    x, y = batch
    out = supernet(x) if weights is None else functional_call(supernet, weights, (x,))
    return F.cross_entropy(out, y)


def first_order_grads(supernet: Supernet, val: Batch) -> tuple[list[torch.Tensor], float]:
    """``dL_val(w, a)/da`` for every architecture parameter, and the validation loss."""
    loss = loss_with(supernet, val)
    return _grads(loss, supernet.arch_parameters()), float(loss.detach())


def second_order_grads(supernet: Supernet, train: Batch, val: Batch, xi: float, *,
                       momentum_buffers: Sequence[torch.Tensor | None] | None = None, momentum: float = 0.9,
                       weight_decay: float = 3e-4) -> tuple[list[torch.Tensor], float]:
    """The unrolled architecture gradient for every architecture parameter, and the validation loss at ``w'``.

    ``momentum_buffers``: the weight optimiser's buffer of each weight parameter (in the order of
    :meth:`Supernet.named_weight_parameters`), None where it has none yet (before its first step).
    """
    names, weights = zip(*supernet.named_weight_parameters())
    arch = supernet.arch_parameters()
    buffers = list(momentum_buffers) if momentum_buffers is not None else [None] * len(weights)
    grad_train = _grads(loss_with(supernet, train), weights)
    with torch.no_grad():
        virtual = [w - xi * ((0.0 if m is None else momentum * m) + g + weight_decay * w)
                   for w, m, g in zip(weights, buffers, grad_train)]
    virtual = [v.requires_grad_() for v in virtual]
    val_loss = loss_with(supernet, val, dict(zip(names, virtual)))
    grads = _grads(val_loss, [*arch, *virtual])
    d_arch, vector = grads[:len(arch)], grads[len(arch):]
    eps = STEP / torch.cat([v.flatten() for v in vector]).norm().clamp_min(1e-30)
    with torch.no_grad():
        plus = {n: w + eps * v for n, w, v in zip(names, weights, vector)}
        minus = {n: w - eps * v for n, w, v in zip(names, weights, vector)}
    g_plus = _grads(loss_with(supernet, train, plus), arch)
    g_minus = _grads(loss_with(supernet, train, minus), arch)
    return [d - xi * (p - m) / (2 * eps) for d, p, m in zip(d_arch, g_plus, g_minus)], float(val_loss.detach())
