"""Learning-rate schedules as a multiplier of the base rate: step, cosine, reduce-on-plateau, with linear warm-up.

``factor(t)`` is a pure function of the (fractional) epoch ``t`` for step and cosine, so a resumed
run gets the same rates; reduce-on-plateau keeps its small state in the checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypernas.errors import ConfigError
from hypernas.validate import check_choice, check_int, check_number

SCHEDULES = ("constant", "step", "cosine", "plateau")


class Schedule:
    """Multiplier of the base learning rate at fractional epoch ``t`` (``epochs done + batch / batches``)."""

    def __init__(self, kind: str = "constant", *, epochs: int = 1, warmup_epochs: float = 0.0, step_size: int = 10,
                 gamma: float = 0.1, min_factor: float = 0.0, factor: float = 0.1, patience: int = 2) -> None:
        check_choice("schedule", "type", kind, SCHEDULES)
        owner = f"schedule {kind!r}"
        check_number(owner, "warmup_epochs", warmup_epochs, 0.0)
        check_int(owner, "step_size", step_size, 1)
        check_number(owner, "gamma", gamma, 0.0, 1.0, low_open=True)
        check_number(owner, "min_factor", min_factor, 0.0, 1.0)
        check_number(owner, "factor", factor, 0.0, 1.0, low_open=True, high_open=True)
        check_int(owner, "patience", patience, 0)
        self.kind, self.epochs, self.warmup = kind, epochs, float(warmup_epochs)
        self.step_size, self.gamma, self.min_factor = step_size, gamma, min_factor
        self.factor, self.patience = factor, patience
        self.scale, self.best, self.bad = 1.0, math.inf, 0

    def __call__(self, t: float, dt: float = 0.0) -> float:
        """The multiplier for a step that starts at epoch ``t`` and lasts ``dt`` epochs (warm-up counts its end)."""
        warm = min(1.0, (t + dt) / self.warmup) if self.warmup > 0 else 1.0
        if self.kind == "step":
            return warm * self.gamma ** int(t // self.step_size)
        if self.kind == "cosine":
            span = max(self.epochs - self.warmup, 1e-12)
            progress = min(max((t - self.warmup) / span, 0.0), 1.0)
            return warm * (self.min_factor + (1 - self.min_factor) * 0.5 * (1 + math.cos(math.pi * progress)))
        return warm * self.scale

    def epoch_end(self, val_loss: float) -> None:
        """Reduce-on-plateau: cut the rate by ``factor`` after ``patience`` epochs without a better validation loss."""
        if self.kind != "plateau":
            return
        if val_loss < self.best - 1e-12:
            self.best, self.bad = val_loss, 0
            return
        self.bad += 1
        if self.bad > self.patience:
            self.scale = max(self.scale * self.factor, self.min_factor)
            self.bad = 0

    def state_dict(self) -> dict[str, float]:
        return {"scale": self.scale, "best": self.best, "bad": self.bad}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        self.scale, self.best, self.bad = float(state["scale"]), float(state["best"]), int(state["bad"])


def make_schedule(spec: str | Mapping[str, Any] | None, *, epochs: int, warmup_epochs: float = 0.0) -> Schedule:
    """A :class:`Schedule` from ``None``, a name, or ``{type: name, **options}``."""
    if spec is None:
        return Schedule("constant", epochs=epochs, warmup_epochs=warmup_epochs)
    options: dict[str, Any] = dict(spec) if isinstance(spec, Mapping) else {"type": spec}
    kind = options.pop("type", "constant")
    options.setdefault("warmup_epochs", warmup_epochs)
    try:
        return Schedule(kind, epochs=epochs, **options)
    except TypeError as exc:
        raise ConfigError(f"schedule {kind!r}: {exc}") from None
