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
from hypernas.oneshot.data import Data, batches, check_data
from hypernas.oneshot.hypergradient import first_order_grads, second_order_grads
from hypernas.oneshot.remedies import EarlyStop, aux_skip_coefficient, beta_regularization, beta_weight, hessian_eigenvalue
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.resume import SearchState
from hypernas.oneshot.supernet import Supernet
from hypernas.registry import Configurable
from hypernas.validate import check_bool, check_choice, check_int, check_number, check_seed

OWNER = "darts search"


class DARTSSearch(Configurable):
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
        self.epochs = check_int(OWNER, "epochs", epochs, 1)
        self.batch_size = check_int(OWNER, "batch_size", batch_size, 1)
        self.lr = check_number(OWNER, "lr", lr, 0, low_open=True)
        self.lr_min = check_number(OWNER, "lr_min", lr_min, 0, lr)
        self.momentum = check_number(OWNER, "momentum", momentum, 0, 1, high_open=True)
        self.weight_decay = check_number(OWNER, "weight_decay", weight_decay, 0)
        self.grad_clip = check_number(OWNER, "grad_clip", grad_clip, 0, low_open=True)
        self.arch_lr = check_number(OWNER, "arch_lr", arch_lr, 0, low_open=True)
        if not isinstance(arch_betas, (tuple, list)) or len(arch_betas) != 2:
            raise ConfigError(f"{OWNER}: arch_betas must be two numbers in [0, 1), got {arch_betas!r}")
        self.arch_betas = (check_number(OWNER, "arch_betas[0]", arch_betas[0], 0, 1, high_open=True),
                           check_number(OWNER, "arch_betas[1]", arch_betas[1], 0, 1, high_open=True))
        self.arch_weight_decay = check_number(OWNER, "arch_weight_decay", arch_weight_decay, 0)
        self.seed = check_seed(OWNER, seed, optional=False)
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
        if not isinstance(supernet, Supernet):
            raise ConfigError(f"{OWNER}: needs a Supernet (nb201_supernet, darts_supernet), got {type(supernet).__name__}")
        check_data(OWNER, "train", train)
        check_data(OWNER, "val", val)
        if self.aux_skip and "skip_connect" not in supernet.op_names:
            raise ConfigError(f"{OWNER}: aux_skip (DARTS-) needs 'skip_connect' among the candidates, got "
                              f"{list(supernet.op_names)}")
        generator = torch.Generator().manual_seed(self.seed)
        supernet.reset_arch(generator)
        weights = supernet.weight_parameters()
        arch = supernet.arch_parameters()
        w_opt = torch.optim.SGD(weights, self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(w_opt, self.epochs, eta_min=self.lr_min)
        a_opt = torch.optim.Adam(arch, self.arch_lr, betas=self.arch_betas, weight_decay=self.arch_weight_decay)
        state = SearchState(supernet, {"weights": w_opt, "arch": a_opt}, schedule, generator)
        saved = state.load(checkpoint, self.to_config()) if checkpoint is not None else None
        history, finished = saved if saved is not None else ([], False)
        for record in history if callback is not None else ():
            callback(record)  # type: ignore[misc]
        keys = list(supernet.layouts)
        stop = EarlyStop(self.patience, keys[0], supernet.op_names, keys) if self.early_stop else None
        device = weights[0].device
        supernet.train()
        try:
            for epoch in range(len(history) + 1, self.epochs + 1 if not finished else 0):
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
                    a_opt.step()
                    loss = F.cross_entropy(supernet(train_batch[0]), train_batch[1])
                    for p, g in zip(weights, torch.autograd.grad(loss, weights, allow_unused=True)):
                        p.grad = g
                    torch.nn.utils.clip_grad_norm_(weights, self.grad_clip)
                    w_opt.step()
                    train_losses.append(float(loss.detach()))
                    val_losses.append(val_loss)
                if val_batch is None:
                    raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train and val; both must yield "
                                      "batches every epoch")
                schedule.step()
                record = self._record(supernet, epoch, train_losses, val_losses, reg)
                if self.hessian:
                    start = torch.Generator().manual_seed(hash((self.seed, epoch)) % 2**62)
                    record["collapse"]["hessian_eigenvalue"] = hessian_eigenvalue(
                        supernet, val_batch, self.hessian_iterations, start)
                history.append(record)
                reason = stop.reason(history) if stop is not None else None
                if reason is not None:
                    record["stopped"] = reason
                finished = reason is not None or epoch == self.epochs
                if checkpoint is not None:
                    state.save(checkpoint, self.to_config(), history, finished)
                if callback is not None:
                    callback(record)
                if finished:
                    break
        finally:
            supernet.aux_skip = 0.0
        return SearchResult(supernet.derive(), history, list(supernet.op_names), supernet.edge_labels)

    def _record(self, supernet: Supernet, epoch: int, train_losses: list[float], val_losses: list[float],
                reg: float) -> dict[str, Any]:
        """One epoch's JSON-able record: the mixing weights, genotype, collapse signal, losses and remedies."""
        genotype = supernet.derive()
        record: dict[str, Any] = {
            "epoch": epoch, **supernet.arch_state(), "genotype": genotype,
            "collapse": supernet.collapse_signal(genotype),
            "train_loss": sum(train_losses) / len(train_losses), "val_loss": sum(val_losses) / len(val_losses)}
        if self.aux_skip:
            record["aux_skip"] = supernet.aux_skip
        if self.beta_decay:
            record["beta_weight"] = reg
        return record
