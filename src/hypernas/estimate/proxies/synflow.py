"""SynFlow (Tanaka et al. 2020) as a NAS proxy (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", 2021).

The network with absolute-valued weights and without batch norm (replaced by the identity, as in
Abdelfattah et al.'s ``synflow``) is fed one all-ones image in double precision; the score is
``sum |w * d(sum of outputs)/dw|`` over every convolution and linear weight. Double precision keeps
NAS-Bench-201 networks, whose products of weights reach ~1e40 without batch norm, from overflowing.
"""

from __future__ import annotations

import torch
from torch import nn

from hypernas.estimate.proxies.base import Loss, Proxy, drop_batchnorm, layer_sum, layer_weights


def synflow(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """The synaptic flow of ``model`` at the shape of ``inputs`` (data-free)."""
    net = drop_batchnorm(model).double().eval()
    with torch.no_grad():
        for param in net.parameters():
            param.abs_()
    net.zero_grad()
    net(torch.ones((1, *inputs.shape[1:]), dtype=torch.float64, device=inputs.device)).sum().backward()
    return layer_sum([(w * w.grad).abs() for w in layer_weights(net) if w.grad is not None])


SYNFLOW = Proxy(synflow, "shape", "synaptic flow with |weights|, no batch norm, an all-ones input")
