"""DARTS (Liu et al. 2019): the bilevel search of a supernet's architecture weights.

Each step first moves the architecture parameters on a validation batch (Adam, lr 3e-4, betas
(0.5, 0.999), weight decay 1e-3; first-order or unrolled second-order gradient, see
:mod:`~hypernas.oneshot.hypergradient`), then the network weights on a training batch (SGD, lr
0.025, momentum 0.9, weight decay 3e-4, cosine schedule to 0.001, gradient norm clipped at 5).
The supernet decides the rest: PC-DARTS is DARTS on a supernet with partial channels and edge
normalisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.oneshot.data import Data, batches, check_data
from hypernas.oneshot.hypergradient import first_order_grads, second_order_grads
from hypernas.oneshot.result import SearchResult
from hypernas.oneshot.supernet import Supernet
from hypernas.registry import Configurable
from hypernas.validate import check_choice, check_int, check_number, check_seed

OWNER = "darts search"


class DARTSSearch(Configurable):
    """DARTS of order 1 or 2 for ``epochs`` epochs, with the published optimiser settings as defaults.

    ``seed`` draws the initial architecture parameters and the order of tensor data, so on CPU the same seed
    (and the same supernet) gives bitwise the same architecture weights and genotype.
    """

    name = "darts"

    def __init__(self, order: int = 1, epochs: int = 50, batch_size: int = 64, *, lr: float = 0.025,
                 lr_min: float = 0.001, momentum: float = 0.9, weight_decay: float = 3e-4, grad_clip: float = 5.0,
                 arch_lr: float = 3e-4, arch_betas: tuple[float, float] = (0.5, 0.999),
                 arch_weight_decay: float = 1e-3, seed: int = 0) -> None:
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

    def search(self, supernet: Supernet, train: Data, val: Data, *,
               callback: Callable[[dict[str, Any]], None] | None = None) -> SearchResult:
        """Train ``supernet`` in place: its weights on ``train``, its architecture on ``val``, one step per pair of
        batches. ``callback`` receives each epoch's record as it is made."""
        if not isinstance(supernet, Supernet):
            raise ConfigError(f"{OWNER}: needs a Supernet (nb201_supernet, darts_supernet), got {type(supernet).__name__}")
        check_data(OWNER, "train", train)
        check_data(OWNER, "val", val)
        generator = torch.Generator().manual_seed(self.seed)
        supernet.reset_arch(generator)
        weights = supernet.weight_parameters()
        arch = supernet.arch_parameters()
        w_opt = torch.optim.SGD(weights, self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(w_opt, self.epochs, eta_min=self.lr_min)
        a_opt = torch.optim.Adam(arch, self.arch_lr, betas=self.arch_betas, weight_decay=self.arch_weight_decay)
        device = weights[0].device
        history = []
        supernet.train()
        for epoch in range(1, self.epochs + 1):
            xi = float(w_opt.param_groups[0]["lr"])
            train_losses, val_losses = [], []
            for train_batch, val_batch in zip(batches(train, self.batch_size, generator, device),
                                              batches(val, self.batch_size, generator, device)):
                if self.order == 1:
                    arch_grads, val_loss = first_order_grads(supernet, val_batch)
                else:
                    buffers = [w_opt.state[p].get("momentum_buffer") if p in w_opt.state else None for p in weights]
                    arch_grads, val_loss = second_order_grads(supernet, train_batch, val_batch, xi,
                                                              momentum_buffers=buffers, momentum=self.momentum,
                                                              weight_decay=self.weight_decay)
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
            if not train_losses:
                raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train and val; both must yield batches "
                                  "every epoch")
            schedule.step()
            genotype = supernet.derive()
            record = {"epoch": epoch, **supernet.arch_state(), "genotype": genotype,
                      "collapse": supernet.collapse_signal(genotype),
                      "train_loss": sum(train_losses) / len(train_losses), "val_loss": sum(val_losses) / len(val_losses)}
            history.append(record)
            if callback is not None:
                callback(record)
        return SearchResult(supernet.derive(), history, list(supernet.op_names), supernet.edge_labels)
