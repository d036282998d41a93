"""SNIP (Lee et al. 2019) as a NAS proxy: connection sensitivity ``sum |w * dL/dw|`` over one labelled batch."""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.proxies.base import Loss, Proxy, backward_loss, layer_sum, layer_weights


def snip(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """The summed saliency ``|w * dL/dw|`` of every convolution and linear weight."""
    assert targets is not None
    backward_loss(model, inputs, targets, loss)
    return layer_sum([(w * w.grad).abs() for w in layer_weights(model) if w.grad is not None])


SNIP = Proxy(snip, "labels", "summed |weight x loss gradient| (connection sensitivity)")
