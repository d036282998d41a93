"""GraSP (Wang et al. 2020) as a NAS proxy: ``sum -w * (H g)`` over the convolution and linear weights.

``g`` is the loss gradient of the weights and ``H g`` the Hessian-gradient product, obtained by
differentiating ``g . grad L`` once more (one batch, temperature 1).
"""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.proxies.base import Loss, Proxy, layer_sum, layer_weights


def grasp(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """How much removing each weight would preserve the gradient flow, summed (higher is better)."""
    assert targets is not None
    weights = layer_weights(model)
    model.train()
    model.zero_grad()
    grads = torch.autograd.grad(loss(model(inputs), targets), weights, allow_unused=True)
    grads_again = torch.autograd.grad(loss(model(inputs), targets), weights, create_graph=True, allow_unused=True)
    dot = sum(((g.detach() * h).sum() for g, h in zip(grads, grads_again) if g is not None and h is not None),
              torch.zeros(()))
    if not dot.requires_grad:  # no weight reaches the loss
        return 0.0
    hess_grads = torch.autograd.grad(dot, weights, allow_unused=True)
    return layer_sum([-w.detach() * hg for w, hg in zip(weights, hess_grads) if hg is not None])


GRASP = Proxy(grasp, "labels", "-weight x Hessian-gradient product (gradient signal preservation)")
