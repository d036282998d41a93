"""SPOS (Guo et al. 2020): train a single-path supernet on one uniformly sampled path per step.

Every step draws a genotype uniformly from the supernet's space and moves the weights of that path only, by SGD
(lr 0.025, momentum 0.9, weight decay 3e-4, cosine schedule to 0.001, gradient norm clipped at 5: the CIFAR-scale
settings of the other searches; SPOS on ImageNet used lr 0.5, weight decay 4e-5, batches of 1024). The search
over subnets comes after, by any strategy through a :class:`~hypernas.oneshot.subnet.SupernetObjective`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from hypernas.errors import ConfigError
from hypernas.estimate.models.ops import SeededDropout
from hypernas.oneshot.data import Data, batches, check_data
from hypernas.oneshot.resume import SearchState
from hypernas.oneshot.single_path import SinglePathSupernet
from hypernas.oneshot.weights import WeightTraining
from hypernas.registry import Configurable

OWNER = "spos search"


class SPOSSearch(WeightTraining, Configurable):
    """SPOS's supernet training for ``epochs`` epochs.

    ``seed`` draws the paths, the order of tensor data and the dropout masks, so on CPU the same seed (and the same
    supernet) gives bitwise the same trained weights.
    """

    name = "spos"

    def __init__(self, epochs: int = 50, batch_size: int = 64, *, lr: float = 0.025, lr_min: float = 0.001,
                 momentum: float = 0.9, weight_decay: float = 3e-4, grad_clip: float = 5.0, seed: int = 0) -> None:
        self._check_weight_training(OWNER, epochs, batch_size, lr, lr_min, momentum, weight_decay, grad_clip, seed)

    def train(self, supernet: SinglePathSupernet, train: Data, *,
              callback: Callable[[dict[str, Any]], None] | None = None,
              checkpoint: str | os.PathLike | None = None) -> list[dict[str, Any]]:
        """Train ``supernet`` in place on ``train``; return one record per epoch (``epoch``, ``lr``,
        ``train_loss``), each also given to ``callback`` as it is made.

        With ``checkpoint``, the training's state (weights, optimiser, schedule, both generators, records) is saved
        there after every epoch, and a training that finds one (written with the same settings and supernet)
        continues after its last epoch, first handing the saved records to ``callback`` again; on CPU it ends
        bitwise as an uninterrupted training would."""
        if not isinstance(supernet, SinglePathSupernet):
            raise ConfigError(f"{OWNER}: needs a SinglePathSupernet (nb201_single_path, mobilenet_single_path, "
                              f"shufflenet_single_path), got {type(supernet).__name__}")
        check_data(OWNER, "train", train)
        generator = torch.Generator().manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        weights = list(supernet.parameters())
        w_opt, schedule = self.weight_optimizer(weights)
        state = SearchState(supernet, {"weights": w_opt}, schedule, generator, rng)
        history, finished = state.resume(checkpoint, self.to_config(), callback)
        device = weights[0].device
        dropouts = [m for m in supernet.modules() if isinstance(m, SeededDropout)]
        supernet.train()
        try:
            for m in dropouts:
                m.generator = generator
            for epoch in range(len(history) + 1, self.epochs + 1 if not finished else 0):
                lr = float(w_opt.param_groups[0]["lr"])
                losses = []
                for x, y in batches(train, self.batch_size, generator, device):
                    loss = F.cross_entropy(supernet(x, supernet.sample(rng)), y)
                    self.weight_step(loss, weights, w_opt)
                    losses.append(float(loss.detach()))
                if not losses:
                    raise ConfigError(f"{OWNER}: epoch {epoch} got no batch from train; it must yield batches every "
                                      "epoch")
                schedule.step()
                record = {"epoch": epoch, "lr": lr, "train_loss": sum(losses) / len(losses)}
                history.append(record)
                if checkpoint is not None:
                    state.save(checkpoint, self.to_config(), history, epoch == self.epochs)
                if callback is not None:
                    callback(record)
        finally:
            for m in dropouts:
                m.generator = None
        return history
