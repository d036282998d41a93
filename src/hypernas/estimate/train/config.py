"""The training hyperparameters in one validated record."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypernas.errors import ConfigError
from hypernas.estimate.train.optim import OPTIMIZERS
from hypernas.estimate.train.schedules import make_schedule

MONITORS = ("accuracy", "loss", "macro_f1")
LOSSES = ("cross_entropy", "focal")


@dataclass
class TrainConfig:
    """How a model is trained. Every field can be set from a trial parameter of the same name.

    ``switch_to_sgd``: patience in epochs; when the validation loss has not improved for that long
    under Adam/AdamW, training continues with SGD (SWATS) at ``sgd_lr`` or the rate estimated from
    Adam's state. ``early_stopping``: patience in epochs on the ``monitor``ed validation metric.
    ``amp``: mixed precision, ``"auto"`` = on when training on a GPU.
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

    def __post_init__(self) -> None:
        def positive_int(name: str, value: Any, low: int = 1) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")

        def number(name: str, value: Any, low: float, high: float = float("inf"), open_low: bool = False) -> None:
            bad = isinstance(value, bool) or not isinstance(value, (int, float))
            if bad or value < low or value > high or open_low and value == low:
                bound = f"> {low}" if open_low else f">= {low}"
                raise ConfigError(f"{name} must be a number {bound}" + (f" and <= {high}" if high != float('inf') else "")
                                  + f", got {value!r}")

        positive_int("epochs", self.epochs)
        positive_int("batch_size", self.batch_size)
        positive_int("eval_batch_size", self.eval_batch_size)
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
        number("lr", self.lr, 0.0, open_low=True)
        number("momentum", self.momentum, 0.0, 1.0)
        number("weight_decay", self.weight_decay, 0.0)
        number("warmup_epochs", self.warmup_epochs, 0.0)
        if self.grad_clip is not None:
            number("grad_clip", self.grad_clip, 0.0, open_low=True)
        if self.early_stopping is not None:
            positive_int("early_stopping", self.early_stopping)
        if self.switch_to_sgd is not None:
            positive_int("switch_to_sgd", self.switch_to_sgd)
            if self.optimizer not in ("adam", "adamw"):
                raise ConfigError(f"switch_to_sgd switches from Adam/AdamW, but the optimizer is {self.optimizer!r}")
        if self.sgd_lr is not None:
            number("sgd_lr", self.sgd_lr, 0.0, open_low=True)
        if self.monitor not in MONITORS:
            raise ConfigError(f"monitor must be one of {', '.join(MONITORS)} (on the validation split), got {self.monitor!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")
        if self.amp not in (True, False, "auto"):
            raise ConfigError(f"amp must be true, false or 'auto', got {self.amp!r}")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; allowed: {', '.join(LOSSES)}")
        if self.class_weights is not None and self.class_weights != "balanced" and (
                isinstance(self.class_weights, str) or not isinstance(self.class_weights, list)):
            raise ConfigError(f"class_weights must be 'balanced' or a list of one number per class, "
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

