"""DARTS's collapse towards parameter-free operations: a signal to watch and three published remedies.

- :func:`hessian_eigenvalue`: RobustDARTS (Zela et al. 2020) — the dominant eigenvalue of the Hessian of the
  validation loss with respect to the architecture parameters grows as the search heads for a sharp minimum
  whose discretised cell performs badly.
- :func:`aux_skip_coefficient`: DARTS- (Chu et al. 2021) — an auxiliary skip connection on every edge, weighted
  by a coefficient that decays linearly from 1 to 0, takes the advantage skip connections have in training off
  the competition between candidates.
- :func:`beta_regularization` and :func:`beta_weight`: beta-DARTS (Ye et al. 2022) — the log-sum-exp of each
  edge's architecture parameters, added to the validation loss with a weight rising linearly, keeps the
  parameters from drifting apart.
- :class:`EarlyStop`: DARTS+ (Liang et al. 2019) — stop when the normal cell holds two or more skip connections,
  or when the ranking of the candidates has not changed for ``patience`` epochs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from hypernas.oneshot.hypergradient import Batch, loss_with
from hypernas.oneshot.supernet import Supernet


def hessian_eigenvalue(supernet: Supernet, batch: Batch, iterations: int, generator: torch.Generator) -> float:
    """The dominant eigenvalue (largest in magnitude) of ``d^2 L_val / d alpha^2`` on ``batch``, by ``iterations``
    steps of power iteration from a random start drawn from ``generator``; each step is one Hessian-vector product
    by double backpropagation through one forward pass (RobustDARTS, Zela et al. 2020)."""
    arch = supernet.arch_parameters()
    grads = torch.autograd.grad(loss_with(supernet, batch), arch, create_graph=True)
    vector = [torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device) for p in arch]
    value = 0.0
    for step in range(iterations):
        norm = torch.sqrt(sum((v * v).sum() for v in vector))  # type: ignore[arg-type]
        vector = [v / norm for v in vector]
        product = torch.autograd.grad(grads, arch, grad_outputs=vector, retain_graph=step + 1 < iterations)
        value = float(sum((v * h).sum() for v, h in zip(vector, product)))
        vector = [h.detach() for h in product]
    return value


def aux_skip_coefficient(epoch: int, epochs: int) -> float:
    """DARTS-'s auxiliary skip weight in ``epoch`` (from 1) of ``epochs``: 1 in the first epoch, falling linearly to
    0 in the last (Chu et al. 2021), so the last epoch searches without it."""
    return (epochs - epoch) / (epochs - 1) if epochs > 1 else 0.0


def beta_regularization(supernet: Supernet) -> torch.Tensor:
    """beta-DARTS's regulariser (Ye et al. 2022): the mean, over the edges of every cell type, of
    ``log(sum_k exp(alpha_k))``. Its gradient is each edge's softmax over the edge count, which pulls the larger
    alphas down and so keeps their softmax from saturating."""
    return torch.cat([torch.logsumexp(alpha, dim=-1) for alpha in supernet.alphas.values()]).mean()


def beta_weight(epoch: int, epochs: int, final: float) -> float:
    """beta-DARTS's regularisation weight in ``epoch`` (from 1) of ``epochs``: rising linearly from 0 in the first
    epoch by ``final / epochs`` per epoch, as in the published code (0.5 per epoch over its 50 epochs: ``final``
    25)."""
    return final * (epoch - 1) / epochs


def ranking(record: Mapping[str, Any], keys: Sequence[str], op_names: Sequence[str]) -> list[list[int]]:
    """Each edge's candidates other than ``none``, strongest first, from an epoch record's mixing weights."""
    real = [k for k, name in enumerate(op_names) if name != "none"]
    return [sorted(real, key=lambda k: (-row[k], k)) for key in keys for row in record[key]]


class EarlyStop:
    """DARTS+ (Liang et al. 2019): stop the search once the normal cell (``normal_key``) of the derived genotype
    holds ``max_skips`` skip connections or more, or once the ranking of every edge's candidates has stayed the
    same for ``patience`` epochs."""

    def __init__(self, patience: int, normal_key: str, op_names: Sequence[str], keys: Sequence[str],
                 max_skips: int = 2) -> None:
        self.patience = patience
        self.normal_key = normal_key
        self.op_names = list(op_names)
        self.keys = list(keys)
        self.max_skips = max_skips

    def reason(self, history: Sequence[Mapping[str, Any]]) -> str | None:
        """Why the search should stop after the last epoch of ``history`` (``"skips"`` or ``"stable"``), or None."""
        last = history[-1]
        if last["collapse"]["skips"].get(self.normal_key, 0) >= self.max_skips:
            return "skips"
        if len(history) > self.patience:
            rankings = [ranking(r, self.keys, self.op_names) for r in history[-self.patience - 1:]]
            if all(r == rankings[0] for r in rankings[1:]):
                return "stable"
        return None
