"""NASWOT (Mellor et al., "Neural Architecture Search without Training", ICML 2021).

Each ReLU cuts a sample's pre-activations into a binary code (unit on or off). Two samples are alike
when their codes agree: the kernel ``K[i, j]`` is the number of units (over every ``nn.ReLU`` of the
network) on which samples ``i`` and ``j`` agree, i.e. the number of units minus the Hamming distance.
The score is ``log |det K|`` (via ``slogdet``): high when the network tells the batch's samples apart.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from hypernas.errors import ObjectiveError
from hypernas.estimate.proxies.base import Loss, Proxy


def naswot(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None, loss: Loss) -> float:
    """The log-determinant of the Hamming kernel of ``model``'s ReLU codes on a batch."""
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise ObjectiveError(f"proxy 'naswot' needs a network with nn.ReLU modules; {type(model).__name__} has none")
    n = inputs.shape[0]
    kernel = torch.zeros((n, n), dtype=torch.float64)

    def record(module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> None:
        codes = (args[0].detach().reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T).add_((1.0 - codes) @ (1.0 - codes).T)

    hooks = [m.register_forward_hook(record) for m in relus]
    try:
        model.train()
        with torch.no_grad():
            model(inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return float(torch.linalg.slogdet(kernel)[1])


NASWOT = Proxy(naswot, "inputs", "log-determinant of the Hamming kernel of the ReLU codes of a batch")
