"""grad_norm (Abdelfattah et al. 2021): the sum over layers of the L2 norm of the loss gradient of their weights."""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.proxies.base import Loss, Proxy, backward_loss, layer_sum, layer_weights


def grad_norm(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """``sum ||dL/dw||`` over the convolution and linear layers, on one labelled batch."""
    assert targets is not None
    backward_loss(model, inputs, targets, loss)
    return layer_sum([w.grad.norm() for w in layer_weights(model) if w.grad is not None])


GRAD_NORM = Proxy(grad_norm, "labels", "summed per-layer norm of the loss gradient")
