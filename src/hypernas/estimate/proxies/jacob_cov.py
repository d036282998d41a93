"""jacob_cov (Mellor et al. 2020, the first version of "Neural Architecture Search without Training").

The gradients of the summed outputs with respect to each input image are correlated across the batch;
a network whose input gradients are less correlated scores higher: ``-sum(log(v + k) + 1 / (v + k))``
over the eigenvalues ``v`` of the correlation matrix, ``k = 1e-5``. A network whose input gradient
vanishes for a sample (it ignores its input) scores ``-inf``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from hypernas.estimate.proxies.base import Loss, Proxy

_K = 1e-5


def jacob_cov(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """How uncorrelated ``model``'s input Jacobians are over a batch."""
    x = inputs.detach().clone().requires_grad_(True)
    model.train()
    model(x).sum().backward()
    assert x.grad is not None
    jac = x.grad.reshape(x.shape[0], -1).double()
    jac = jac - jac.mean(dim=1, keepdim=True)
    norms = jac.norm(dim=1, keepdim=True)
    if bool((norms == 0).any()):
        return -math.inf
    unit = jac / norms
    eig = torch.linalg.eigvalsh(unit @ unit.T)
    return float(-(torch.log(eig + _K) + 1.0 / (eig + _K)).sum())


JACOB_COV = Proxy(jacob_cov, "inputs", "how uncorrelated the input Jacobians of a batch are")
