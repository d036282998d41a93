"""Checkpoints of a one-shot search, written after every epoch so that a killed search resumes where it stopped.

A checkpoint holds everything the rest of the search depends on: the supernet's state (weights, architecture
parameters, batch-norm statistics), each optimiser's and the schedule's state, the search generator's state and
the history of finished epochs; so on CPU a resumed search ends bitwise where an uninterrupted one does. It is
written with :func:`~hypernas.estimate.train.checkpoint.save_checkpoint` (atomically) and read back with
``weights_only=True``: tensors, numbers, strings and containers, never arbitrary objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from hypernas.errors import ConfigError
from hypernas.estimate.train.checkpoint import load_checkpoint, save_checkpoint


@dataclass
class SearchState:
    """The parts of a search that a checkpoint saves and restores, in place."""

    supernet: nn.Module
    optimizers: Mapping[str, torch.optim.Optimizer]
    schedule: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    rng: np.random.Generator | None = None
    """A NumPy generator the search draws from too (SPOS's paths), if any."""

    def save(self, path: str | os.PathLike, config: Mapping[str, Any], history: list[dict[str, Any]],
             finished: bool) -> None:
        """Write the state after the last epoch of ``history``; ``config`` identifies the search's settings."""
        save_checkpoint(path, {
            "search": dict(config), "finished": finished, "history": history,
            "supernet": self.supernet.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "schedule": self.schedule.state_dict(), "generator": self.generator.get_state(),
            **({"rng": self.rng.bit_generator.state} if self.rng is not None else {}),
        })

    def resume(self, path: str | os.PathLike | None, config: Mapping[str, Any],
               callback: Callable[[dict[str, Any]], None] | None) -> tuple[list[dict[str, Any]], bool]:
        """``(history, finished)`` of the search saved at ``path`` (restored in place, its records handed to
        ``callback`` again), or of a search just starting when there is no checkpoint."""
        saved = self.load(path, config) if path is not None else None
        history, finished = saved if saved is not None else ([], False)
        if callback is not None:
            for record in history:
                callback(record)
        return history, finished

    def load(self, path: str | os.PathLike, config: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool] | None:
        """Restore the state saved at ``path`` and return ``(history, finished)``, or None when there is none.

        A checkpoint of a search with other settings, or of another supernet, is refused: resuming it would mix
        two searches."""
        state = load_checkpoint(path)
        if state is None:
            return None
        saved = state.get("search")
        if not isinstance(saved, dict):
            raise ConfigError(f"checkpoint {path} is not a one-shot search checkpoint; delete it or use another path")
        differing = sorted(k for k in set(saved) | set(config) if saved.get(k) != config.get(k))
        if differing:
            key = differing[0]
            raise ConfigError(f"checkpoint {path} was written by a search with other settings ({key}: "
                              f"{saved.get(key)!r} there, {config.get(key)!r} now); delete it or use another path")
        try:
            self.supernet.load_state_dict(state["supernet"])
        except RuntimeError as exc:
            raise ConfigError(f"checkpoint {path} holds another supernet: {str(exc).strip().splitlines()[0]}") from None
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        self.schedule.load_state_dict(state["schedule"])
        self.generator.set_state(state["generator"])
        if self.rng is not None:
            self.rng.bit_generator.state = state["rng"]
        return list(state["history"]), bool(state["finished"])
