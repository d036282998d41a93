"""GDAS (Dong & Yang 2019): a differentiable search that samples one operation per edge.

Every forward pass draws, per cell type and edge, Gumbel noise ``g`` and takes the one-hot ``h`` of the argmax of
``p = softmax((log_softmax(alpha) + g) / tau)``; the edges mix with the straight-through weights
``h - sg(p) + p`` (``sg``: no gradient), so only the sampled operation is computed while the gradient reaches
every logit through ``p`` (see :mod:`~hypernas.oneshot.mixed` for the candidates not computed). The temperature
falls linearly from ``tau_max`` (10) in the first epoch to ``tau_min`` (0.1) in the last. Each step, as in the
published code, first moves the network weights on a training batch (SGD, lr 0.025, momentum 0.9, weight decay
3e-4, cosine schedule to 0.001, gradient norm clipped at 5), then the architecture on a validation batch (Adam,
lr 3e-4, betas (0.5, 0.999), weight decay 1e-3), each with a new sample. With ``checkpoint=``, a killed search
resumes where it stopped (:mod:`~hypernas.oneshot.resume`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.oneshot.data import Batch, Data, batches
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.supernet import Supernet
from hypernas.oneshot.weights import ArchTraining, check_bilevel_inputs, epoch_record, start_bilevel
from hypernas.registry import Configurable
from hypernas.validate import check_number

OWNER = "gdas search"


def gumbel_hard_weights(alphas: Mapping[str, torch.Tensor], tau: float,
                        generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Straight-through one-hot weights ``h - sg(p) + p`` of one Gumbel-softmax sample per edge (rows of each
    ``alphas[key]``); the noise is drawn on the CPU from ``generator``."""
    out = {}
    for key, alpha in alphas.items():
        while True:  # -log(0) is an infinite draw: draw again, as the published code does
            gumbel = -torch.empty(alpha.shape, dtype=alpha.dtype).exponential_(generator=generator).log()
            if bool(torch.isfinite(gumbel).all()):
                break
        probs = torch.softmax((alpha.log_softmax(dim=-1) + gumbel.to(alpha.device)) / tau, dim=-1)
        one_hot = torch.zeros_like(probs).scatter_(-1, probs.argmax(dim=-1, keepdim=True), 1.0)
        out[key] = one_hot - probs.detach() + probs
    return out


class GDASSearch(ArchTraining, Configurable):
    """GDAS for ``epochs`` epochs, with the published optimiser settings and temperature schedule as defaults.

    ``seed`` draws the initial architecture parameters, the Gumbel noise and the order of tensor data, so on CPU
    the same seed (and the same supernet) gives bitwise the same architecture weights and genotype.
    """

    name = "gdas"

    def __init__(self, epochs: int = 50, batch_size: int = 64, *, tau_max: float = 10.0, tau_min: float = 0.1,
                 lr: float = 0.025, lr_min: float = 0.001, momentum: float = 0.9, weight_decay: float = 3e-4,
                 grad_clip: float = 5.0, arch_lr: float = 3e-4, arch_betas: tuple[float, float] = (0.5, 0.999),
                 arch_weight_decay: float = 1e-3, seed: int = 0) -> None:
        self._check_weight_training(OWNER, epochs, batch_size, lr, lr_min, momentum, weight_decay, grad_clip, seed)
        self._check_arch_training(OWNER, arch_lr, arch_betas, arch_weight_decay)
        self.tau_max = check_number(OWNER, "tau_max", tau_max, 0, low_open=True)
        self.tau_min = check_number(OWNER, "tau_min", tau_min, 0, tau_max, low_open=True)

    def tau(self, epoch: int) -> float:
        """The Gumbel-softmax temperature of epoch ``epoch`` (1 to ``epochs``): linear from ``tau_max`` to ``tau_min``."""
        if self.epochs == 1:
            return self.tau_max
        return self.tau_max - (self.tau_max - self.tau_min) * (epoch - 1) / (self.epochs - 1)

    def search(self, supernet: Supernet, train: Data, val: Data, *,
               callback: Callable[[dict[str, Any]], None] | None = None,
               checkpoint: str | os.PathLike | None = None) -> SearchResult:
        """Train ``supernet`` in place: its weights on ``train``, its architecture on ``val``, one step per pair of
        batches. ``callback`` receives each epoch's record (as DARTS's, with the epoch's ``tau``) as it is made.

        With ``checkpoint``, the search's state is saved there after every epoch, and a search that finds one
        (written with the same settings and supernet) continues after its last epoch, first handing the saved
        epochs' records to ``callback`` again; on CPU it ends bitwise as an uninterrupted search would.
        """
        check_bilevel_inputs(OWNER, supernet, train, val)
        config = self.to_config()
        run = start_bilevel(self, config, supernet, checkpoint, callback)
        generator, weights, arch = run.generator, run.weights, run.arch
        device = weights[0].device
        supernet.train()
        for epoch in run.epochs(self.epochs):
            tau = self.tau(epoch)
            train_losses, val_losses = [], []
            for train_batch, val_batch in zip(batches(train, self.batch_size, generator, device),
                                              batches(val, self.batch_size, generator, device)):
                loss = self._loss(supernet, train_batch, tau, generator)
                self.weight_step(loss, weights, run.w_opt)
                val_loss = self._loss(supernet, val_batch, tau, generator)
                for p, g in zip(arch, torch.autograd.grad(val_loss, arch, allow_unused=True)):
                    p.grad = torch.zeros_like(p) if g is None else g
                run.a_opt.step()
                train_losses.append(float(loss.detach()))
                val_losses.append(float(val_loss.detach()))
            if not train_losses:
                raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train and val; both must yield batches "
                                  "every epoch")
            run.schedule.step()
            run.history.append(epoch_record(supernet, epoch, train_losses, val_losses, tau=tau))
            run.end_epoch(epoch == self.epochs, config, checkpoint, callback)
        return SearchResult(supernet.derive(), run.history, list(supernet.op_names), supernet.edge_labels)

    @staticmethod
    def _loss(supernet: Supernet, batch: Batch, tau: float, generator: torch.Generator) -> torch.Tensor:
        """The cross-entropy on ``batch`` through one sampled single path per edge."""
        weights = gumbel_hard_weights(dict(supernet.alphas.items()), tau, generator)
        return F.cross_entropy(supernet(batch[0], weights, hard=True), batch[1])
