"""What every one-shot search does alike: its settings checked, the network weights trained by SGD with a cosine
schedule and a clipped step, and (for the bilevel searches) the architecture trained by Adam."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from hypernas.errors import ConfigError
from hypernas.oneshot.data import check_data
from hypernas.oneshot.resume import SearchState
from hypernas.oneshot.supernet import Supernet
from hypernas.validate import check_int, check_number, check_seed


class WeightTraining:
    """The settings of a search's weight training (``epochs`` of ``batch_size``, SGD from ``lr`` down to ``lr_min``
    on a cosine, ``momentum``, ``weight_decay``, gradient norm clipped at ``grad_clip``) and its ``seed``."""

    epochs: int
    batch_size: int
    lr: float
    lr_min: float
    momentum: float
    weight_decay: float
    grad_clip: float
    seed: int

    def _check_weight_training(self, owner: str, epochs: int, batch_size: int, lr: float, lr_min: float,
                               momentum: float, weight_decay: float, grad_clip: float, seed: int) -> None:
        self.epochs = check_int(owner, "epochs", epochs, 1)
        self.batch_size = check_int(owner, "batch_size", batch_size, 1)
        self.lr = check_number(owner, "lr", lr, 0, low_open=True)
        self.lr_min = check_number(owner, "lr_min", lr_min, 0, lr)
        self.momentum = check_number(owner, "momentum", momentum, 0, 1, high_open=True)
        self.weight_decay = check_number(owner, "weight_decay", weight_decay, 0)
        self.grad_clip = check_number(owner, "grad_clip", grad_clip, 0, low_open=True)
        self.seed = check_seed(owner, seed, optional=False)

    def weight_optimizer(self, weights: Sequence[torch.nn.Parameter], *, nesterov: bool = False
                         ) -> tuple[torch.optim.SGD, torch.optim.lr_scheduler.CosineAnnealingLR]:
        """SGD over ``weights`` and its cosine schedule over the epochs."""
        optimizer = torch.optim.SGD(weights, self.lr, momentum=self.momentum, weight_decay=self.weight_decay,
                                    nesterov=nesterov)
        return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs, eta_min=self.lr_min)

    def weight_step(self, loss: torch.Tensor, weights: Sequence[torch.nn.Parameter], optimizer: Any) -> None:
        """One step of ``optimizer`` down ``loss``'s gradient, its norm clipped. Weights off the loss's path get no
        gradient (``None``): SGD leaves them, their decay and their momentum as they are."""
        for p, g in zip(weights, torch.autograd.grad(loss, weights, allow_unused=True)):
            p.grad = g
        torch.nn.utils.clip_grad_norm_(weights, self.grad_clip)
        optimizer.step()


class ArchTraining(WeightTraining):
    """Weight training, and the architecture parameters trained by Adam (``arch_lr``, ``arch_betas``,
    ``arch_weight_decay``) as DARTS and GDAS publish."""

    arch_lr: float
    arch_betas: tuple[float, float]
    arch_weight_decay: float

    def _check_arch_training(self, owner: str, arch_lr: float, arch_betas: tuple[float, float],
                             arch_weight_decay: float) -> None:
        self.arch_lr = check_number(owner, "arch_lr", arch_lr, 0, low_open=True)
        if not isinstance(arch_betas, (tuple, list)) or len(arch_betas) != 2:
            raise ConfigError(f"{owner}: arch_betas must be two numbers in [0, 1), got {arch_betas!r}")
        self.arch_betas = (check_number(owner, "arch_betas[0]", arch_betas[0], 0, 1, high_open=True),
                           check_number(owner, "arch_betas[1]", arch_betas[1], 0, 1, high_open=True))
        self.arch_weight_decay = check_number(owner, "arch_weight_decay", arch_weight_decay, 0)

    def arch_optimizer(self, arch: Sequence[torch.nn.Parameter]) -> torch.optim.Adam:
        """Adam over the architecture parameters ``arch``."""
        return torch.optim.Adam(arch, self.arch_lr, betas=self.arch_betas, weight_decay=self.arch_weight_decay)


@dataclass
class BilevelRun:
    """A bilevel search as it starts, or resumes from its checkpoint: the supernet's weights and architecture
    parameters with their optimisers, the schedule, the seeded generator, and the epochs already done."""

    generator: torch.Generator
    weights: list[torch.nn.Parameter]
    arch: list[torch.nn.Parameter]
    w_opt: torch.optim.SGD
    schedule: torch.optim.lr_scheduler.CosineAnnealingLR
    a_opt: torch.optim.Adam
    state: SearchState
    history: list[dict[str, Any]]
    finished: bool

    def epochs(self, total: int) -> range:
        """The epochs left to run, numbered from 1."""
        return range(len(self.history) + 1, total + 1 if not self.finished else 0)

    def end_epoch(self, finished: bool, config: Mapping[str, Any], checkpoint: str | os.PathLike | None,
                  callback: Callable[[dict[str, Any]], None] | None) -> None:
        """After the last record of :attr:`history`: whether the search has ``finished``; save the checkpoint and
        hand the record to ``callback``."""
        self.finished = finished
        if checkpoint is not None:
            self.state.save(checkpoint, config, self.history, finished)
        if callback is not None:
            callback(self.history[-1])


def check_bilevel_inputs(owner: str, supernet: Any, train: Any, val: Any) -> None:
    """Refuse what is not a mixed-edge :class:`Supernet`, and train or val data that is no data."""
    if not isinstance(supernet, Supernet):
        raise ConfigError(f"{owner}: needs a Supernet (nb201_supernet, darts_supernet), got {type(supernet).__name__}")
    check_data(owner, "train", train)
    check_data(owner, "val", val)


def start_bilevel(search: ArchTraining, config: Mapping[str, Any], supernet: Supernet,
                  checkpoint: str | os.PathLike | None,
                  callback: Callable[[dict[str, Any]], None] | None) -> BilevelRun:
    """Seed the architecture, make the optimisers and, from ``checkpoint`` when it holds a search of the same
    ``config``, restore them and hand the saved epochs' records to ``callback`` again."""
    generator = torch.Generator().manual_seed(search.seed)
    supernet.reset_arch(generator)
    weights, arch = supernet.weight_parameters(), supernet.arch_parameters()
    w_opt, schedule = search.weight_optimizer(weights)
    a_opt = search.arch_optimizer(arch)
    state = SearchState(supernet, {"weights": w_opt, "arch": a_opt}, schedule, generator)
    history, finished = state.resume(checkpoint, config, callback)
    return BilevelRun(generator, weights, arch, w_opt, schedule, a_opt, state, history, finished)


def epoch_record(supernet: Supernet, epoch: int, train_losses: list[float], val_losses: list[float],
                 **extra: Any) -> dict[str, Any]:
    """One epoch's JSON-able record: the mixing weights, the derived genotype, its collapse signal, the mean
    losses, and ``extra``."""
    genotype = supernet.derive()
    return {"epoch": epoch, **extra, **supernet.arch_state(), "genotype": genotype,
            "collapse": supernet.collapse_signal(genotype),
            "train_loss": sum(train_losses) / len(train_losses), "val_loss": sum(val_losses) / len(val_losses)}
