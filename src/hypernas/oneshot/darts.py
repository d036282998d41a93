"""DARTS (Liu et al. 2019): the bilevel search of a supernet's architecture weights.

Each step first moves the architecture parameters on a validation batch (Adam, lr 3e-4, betas
(0.5, 0.999), weight decay 1e-3; first-order or unrolled second-order gradient, see
:mod:`~hypernas.oneshot.hypergradient`), then the network weights on a training batch (SGD, lr
0.025, momentum 0.9, weight decay 3e-4, cosine schedule to 0.001, gradient norm clipped at 5).
The supernet decides the rest: PC-DARTS is DARTS on a supernet with partial channels and edge
normalisation. Against collapse (see :mod:`~hypernas.oneshot.remedies`), each off by default: the Hessian's
dominant eigenvalue as a signal (RobustDARTS), DARTS-'s auxiliary skip, beta-DARTS's regularisation and DARTS+'s
early stopping. With ``checkpoint=``, a killed search resumes where it stopped (:mod:`~hypernas.oneshot.resume`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.oneshot.data import Data, batches
from hypernas.oneshot.hypergradient import first_order_grads, second_order_grads
from hypernas.oneshot.remedies import EarlyStop, aux_skip_coefficient, beta_regularization, beta_weight, hessian_eigenvalue
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.supernet import Supernet
from hypernas.oneshot.weights import ArchTraining, check_bilevel_inputs, epoch_record, start_bilevel
from hypernas.registry import Configurable
from hypernas.validate import check_bool, check_choice, check_int, check_number

OWNER = "darts search"


class DARTSSearch(ArchTraining, Configurable):
    """DARTS of order 1 or 2 for ``epochs`` epochs, with the published optimiser settings as defaults.

    ``seed`` draws the initial architecture parameters and the order of tensor data, so on CPU the same seed
    (and the same supernet) gives bitwise the same architecture weights and genotype.

    Collapse signal and remedies (off by default):

    - ``hessian``: RobustDARTS (Zela et al. 2020): each epoch's ``collapse`` record gains ``hessian_eigenvalue``,
      the dominant eigenvalue of the validation loss's Hessian in the architecture parameters, on the epoch's last
      validation batch (with the auxiliary skip, if any, as the search sees it), by ``hessian_iterations`` steps of
      power iteration.
    - ``aux_skip``: DARTS- (Chu et al. 2021): an auxiliary skip connection on every edge, weighted by a coefficient
      falling linearly from 1 in the first epoch to 0 in the last (recorded as ``aux_skip``). It is the edge's own
      ``skip_connect`` candidate: an identity, as published, except on the stride-2 edges of a DARTS reduction cell,
      where it shares the candidate's factorized reduction (the published code gives it one of its own).
    - ``beta_decay``: beta-DARTS (Ye et al. 2022): the architecture loss gains ``lambda`` times the mean over all
      edges of ``logsumexp(alpha)``, with ``lambda`` rising linearly from 0 by ``beta_decay / epochs`` per epoch
      (recorded as ``beta_weight``; the published 50-epoch search rises by 0.5: ``beta_decay=25``); 0 turns it off.
    - ``early_stop``: DARTS+ (Liang et al. 2019): stop once the derived normal cell (``cell`` in NB201) holds two
      skip connections or more, or once the ranking of every edge's candidates has not changed for ``patience``
      epochs; the last epoch's record says why under ``stopped`` (``skips`` or ``stable``).
    """

    name = "darts"

    def __init__(self, order: int = 1, epochs: int = 50, batch_size: int = 64, *, lr: float = 0.025,
                 lr_min: float = 0.001, momentum: float = 0.9, weight_decay: float = 3e-4, grad_clip: float = 5.0,
                 arch_lr: float = 3e-4, arch_betas: tuple[float, float] = (0.5, 0.999),
                 arch_weight_decay: float = 1e-3, seed: int = 0, hessian: bool = False, hessian_iterations: int = 20,
                 aux_skip: bool = False, beta_decay: float = 0.0, early_stop: bool = False, patience: int = 10) -> None:
        self.order = check_choice(OWNER, "order", order, (1, 2), error=ConfigError)
        self._check_weight_training(OWNER, epochs, batch_size, lr, lr_min, momentum, weight_decay, grad_clip, seed)
        self._check_arch_training(OWNER, arch_lr, arch_betas, arch_weight_decay)
        self.hessian = check_bool(OWNER, "hessian", hessian)
        self.hessian_iterations = check_int(OWNER, "hessian_iterations", hessian_iterations, 1)
        self.aux_skip = check_bool(OWNER, "aux_skip", aux_skip)
        self.beta_decay = check_number(OWNER, "beta_decay", beta_decay, 0)
        self.early_stop = check_bool(OWNER, "early_stop", early_stop)
        self.patience = check_int(OWNER, "patience", patience, 1)

    def search(self, supernet: Supernet, train: Data, val: Data, *,
               callback: Callable[[dict[str, Any]], None] | None = None,
               checkpoint: str | os.PathLike | None = None) -> SearchResult:
        """Train ``supernet`` in place: its weights on ``train``, its architecture on ``val``, one step per pair of
        batches. ``callback`` receives each epoch's record as it is made.

        With ``checkpoint``, the search's state is saved there after every epoch, and a search that finds one
        (written with the same settings and supernet) continues after its last epoch, first handing the saved
        epochs' records to ``callback`` again; on CPU it ends bitwise as an uninterrupted search would.
        """
        check_bilevel_inputs(OWNER, supernet, train, val)
        if self.aux_skip and "skip_connect" not in supernet.op_names:
            raise ConfigError(f"{OWNER}: aux_skip (DARTS-) needs 'skip_connect' among the candidates, got "
                              f"{list(supernet.op_names)}")
        config = self.to_config()
        run = start_bilevel(self, config, supernet, checkpoint, callback)
        generator, weights, arch, w_opt = run.generator, run.weights, run.arch, run.w_opt
        keys = list(supernet.layouts)
        stop = EarlyStop(self.patience, keys[0], supernet.op_names, keys) if self.early_stop else None
        device = weights[0].device
        supernet.train()
        try:
            for epoch in run.epochs(self.epochs):
                supernet.aux_skip = aux_skip_coefficient(epoch, self.epochs) if self.aux_skip else 0.0
                reg = beta_weight(epoch, self.epochs, self.beta_decay)
                xi = float(w_opt.param_groups[0]["lr"])
                train_losses, val_losses = [], []
                val_batch = None
                for train_batch, val_batch in zip(batches(train, self.batch_size, generator, device),
                                                  batches(val, self.batch_size, generator, device)):
                    if self.order == 1:
                        arch_grads, val_loss = first_order_grads(supernet, val_batch)
                    else:
                        buffers = [w_opt.state[p].get("momentum_buffer") if p in w_opt.state else None for p in weights]
                        arch_grads, val_loss = second_order_grads(supernet, train_batch, val_batch, xi,
                                                                  momentum_buffers=buffers, momentum=self.momentum,
                                                                  weight_decay=self.weight_decay)
                    if reg:
                        extra = torch.autograd.grad(reg * beta_regularization(supernet), arch, allow_unused=True)
                        arch_grads = [g if e is None else g + e for g, e in zip(arch_grads, extra)]
                    for p, g in zip(arch, arch_grads):
                        p.grad = g
                    run.a_opt.step()
                    loss = F.cross_entropy(supernet(train_batch[0]), train_batch[1])
                    self.weight_step(loss, weights, w_opt)
                    train_losses.append(float(loss.detach()))
                    val_losses.append(val_loss)
                if val_batch is None:
                    raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train and val; both must yield "
                                      "batches every epoch")
                run.schedule.step()
                record = epoch_record(supernet, epoch, train_losses, val_losses,
                                      **({"aux_skip": supernet.aux_skip} if self.aux_skip else {}),
                                      **({"beta_weight": reg} if self.beta_decay else {}))
                if self.hessian:
                    start = torch.Generator().manual_seed(hash((self.seed, epoch)) % 2**62)
                    record["collapse"]["hessian_eigenvalue"] = hessian_eigenvalue(
                        supernet, val_batch, self.hessian_iterations, start)
                run.history.append(record)
                reason = stop.reason(run.history) if stop is not None else None
                if reason is not None:
                    record["stopped"] = reason
                run.end_epoch(reason is not None or epoch == self.epochs, config, checkpoint, callback)
                if run.finished:
                    break
        finally:
            supernet.aux_skip = 0.0
        return SearchResult(supernet.derive(), run.history, list(supernet.op_names), supernet.edge_labels)

