"""The training hyperparameters in one validated record."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypernas.errors import ConfigError
from hypernas.estimate.train.losses import LOSSES
from hypernas.estimate.train.optim import OPTIMIZERS
from hypernas.estimate.train.schedules import make_schedule
from hypernas.validate import check_choice, check_int, check_number, check_seed

MONITORS = ("accuracy", "loss", "macro_f1")


@dataclass
class TrainConfig:
    """How a model is trained. Every field can be set from a trial parameter of the same name.

    ``switch_to_sgd``: patience in epochs; when the validation loss has not improved for that long
    under Adam/AdamW, training continues with SGD (SWATS) at ``sgd_lr`` or the rate estimated from
    Adam's state. ``early_stopping``: patience in epochs on the ``monitor``ed validation metric.
    ``amp``: mixed precision, ``"auto"`` = on when training on a GPU. ``frozen_epochs``: incremental
    training: for that many epochs at the start, the parameters the Trainer is told are ``frozen`` (those
    a child inherited from its parent) get no updates and only the new parts train (batch-norm running
    statistics still follow the data); then all train together (``frozen_epochs == epochs``: the inherited
    parts never train).
    """

    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str | dict[str, Any] | None = None
    warmup_epochs: float = 0.0
    loss: str = "cross_entropy"
    focal_gamma: float = 2.0
    label_smoothing: float = 0.0
    class_weights: str | list[float] | None = None
    grad_clip: float | None = None
    early_stopping: int | None = None
    monitor: str = "accuracy"
    switch_to_sgd: int | None = None
    sgd_lr: float | None = None
    restore_best: bool = True
    eval_batch_size: int = 1024
    seed: int = 0
    device: str = "auto"
    amp: bool | str = "auto"
    frozen_epochs: int = 0

    def __post_init__(self) -> None:
        owner = "training"
        check_int(owner, "epochs", self.epochs, 1)
        check_int(owner, "frozen_epochs", self.frozen_epochs, 0, self.epochs)
        check_int(owner, "batch_size", self.batch_size, 1)
        check_int(owner, "eval_batch_size", self.eval_batch_size, 1)
        check_choice(owner, "optimizer", self.optimizer, OPTIMIZERS)
        check_number(owner, "lr", self.lr, 0.0, low_open=True)
        check_number(owner, "momentum", self.momentum, 0.0, 1.0)
        check_number(owner, "weight_decay", self.weight_decay, 0.0)
        check_number(owner, "warmup_epochs", self.warmup_epochs, 0.0)
        check_number(owner, "grad_clip", self.grad_clip, 0.0, low_open=True, optional=True)
        check_int(owner, "early_stopping", self.early_stopping, 1, optional=True)
        check_int(owner, "switch_to_sgd", self.switch_to_sgd, 1, optional=True)
        if self.switch_to_sgd is not None and self.optimizer not in ("adam", "adamw"):
            raise ConfigError(f"{owner}: switch_to_sgd switches from Adam/AdamW, but the optimizer is {self.optimizer!r}")
        check_number(owner, "sgd_lr", self.sgd_lr, 0.0, low_open=True, optional=True)
        check_choice(owner, "monitor", self.monitor, MONITORS)
        check_seed(owner, self.seed, optional=False)
        check_choice(owner, "amp", self.amp, (True, False, "auto"))
        check_choice(owner, "loss", self.loss, LOSSES)
        if self.class_weights is not None and self.class_weights != "balanced" and (
                isinstance(self.class_weights, str) or not isinstance(self.class_weights, list)):
            raise ConfigError(f"{owner}: class_weights must be 'balanced' or a list of one number per class, "
                              f"got {self.class_weights!r}")
        make_schedule(self.schedule, epochs=self.epochs, warmup_epochs=self.warmup_epochs)

    @property
    def maximize(self) -> bool:
        """Whether a larger value of the monitored metric is better."""
        return self.monitor != "loss"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TrainConfig:
        """A config from a mapping; unknown keys are an error naming the known ones."""
        names = field_names()
        unknown = [k for k in options if k not in names]
        if unknown:
            raise ConfigError(f"unknown training option {unknown[0]!r}; options: {', '.join(names)}")
        return cls(**{k: _plain(v) for k, v in options.items()})


def _plain(value: Any) -> Any:
    """NumPy scalars and tuples from a search space as plain Python values."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def field_names() -> list[str]:
    """The names of the training options."""
    return [f.name for f in dataclasses.fields(TrainConfig)]

