"""SPOS (Guo et al. 2020): train a single-path supernet on one uniformly sampled path per step.

Every step draws a genotype uniformly from the supernet's space and moves the weights of that path only, by SGD
(lr 0.025, momentum 0.9, weight decay 3e-4, cosine schedule to 0.001, gradient norm clipped at 5: the CIFAR-scale
settings of the other searches; SPOS on ImageNet used lr 0.5, weight decay 4e-5, batches of 1024). The search
over subnets comes after, by any strategy through a :class:`~hypernas.oneshot.subnet.SupernetObjective`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.estimate.models.ops import SeededDropout
from hypernas.oneshot.data import Data, batches, check_data
from hypernas.oneshot.single_path import SinglePathSupernet
from hypernas.registry import Configurable
from hypernas.validate import check_int, check_number, check_seed

OWNER = "spos search"


class SPOSSearch(Configurable):
    """SPOS's supernet training for ``epochs`` epochs.

    ``seed`` draws the paths, the order of tensor data and the dropout masks, so on CPU the same seed (and the same
    supernet) gives bitwise the same trained weights.
    """

    name = "spos"

    def __init__(self, epochs: int = 50, batch_size: int = 64, *, lr: float = 0.025, lr_min: float = 0.001,
                 momentum: float = 0.9, weight_decay: float = 3e-4, grad_clip: float = 5.0, seed: int = 0) -> None:
        self.epochs = check_int(OWNER, "epochs", epochs, 1)
        self.batch_size = check_int(OWNER, "batch_size", batch_size, 1)
        self.lr = check_number(OWNER, "lr", lr, 0, low_open=True)
        self.lr_min = check_number(OWNER, "lr_min", lr_min, 0, lr)
        self.momentum = check_number(OWNER, "momentum", momentum, 0, 1, high_open=True)
        self.weight_decay = check_number(OWNER, "weight_decay", weight_decay, 0)
        self.grad_clip = check_number(OWNER, "grad_clip", grad_clip, 0, low_open=True)
        self.seed = check_seed(OWNER, seed, optional=False)

    def train(self, supernet: SinglePathSupernet, train: Data, *,
              callback: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
        """Train ``supernet`` in place on ``train``; return one record per epoch (``epoch``, ``lr``,
        ``train_loss``), each also given to ``callback`` as it is made."""
        if not isinstance(supernet, SinglePathSupernet):
            raise ConfigError(f"{OWNER}: needs a SinglePathSupernet (nb201_single_path, mobilenet_single_path, "
                              f"shufflenet_single_path), got {type(supernet).__name__}")
        check_data(OWNER, "train", train)
        generator = torch.Generator().manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        weights = list(supernet.parameters())
        w_opt = torch.optim.SGD(weights, self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(w_opt, self.epochs, eta_min=self.lr_min)
        device = weights[0].device
        dropouts = [m for m in supernet.modules() if isinstance(m, SeededDropout)]
        history = []
        supernet.train()
        try:
            for m in dropouts:
                m.generator = generator
            for epoch in range(1, self.epochs + 1):
                lr = float(w_opt.param_groups[0]["lr"])
                losses = []
                for x, y in batches(train, self.batch_size, generator, device):
                    loss = F.cross_entropy(supernet(x, supernet.sample(rng)), y)
                    for p, g in zip(weights, torch.autograd.grad(loss, weights, allow_unused=True)):
                        p.grad = g  # None off the path: its weights stay as they are
                    torch.nn.utils.clip_grad_norm_(weights, self.grad_clip)
                    w_opt.step()
                    losses.append(float(loss.detach()))
                if not losses:
                    raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train; it must yield batches every "
                                      "epoch")
                schedule.step()
                record = {"epoch": epoch, "lr": lr, "train_loss": sum(losses) / len(losses)}
                history.append(record)
                if callback is not None:
                    callback(record)
        finally:
            for m in dropouts:
                m.generator = None
        return history
