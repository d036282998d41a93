"""Checkpoints of a training run, written atomically after every epoch so an interrupted run continues."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from hypernas.errors import ConfigError

FORMAT_VERSION = 1


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` through a temporary file, so a crash never leaves a half-written checkpoint."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save({"format": FORMAT_VERSION, **state}, tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any] | None:
    """The state saved at ``path``, or None if there is none; tensors, numbers, strings and containers only."""
    target = Path(path)
    if not target.is_file():
        return None
    try:
        state = torch.load(target, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file can fail in many ways
        raise ConfigError(f"checkpoint {target} cannot be read ({type(exc).__name__}); delete it to start over") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
        raise ConfigError(f"checkpoint {target} is not a hypernas training checkpoint (format {FORMAT_VERSION})")
    return state
