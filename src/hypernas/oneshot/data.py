"""The batches a one-shot search trains on: a data loader (any iterable of ``(inputs, labels)``, read once per
epoch) or a pair of tensors, shuffled each epoch by the search's own generator."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeGuard

import torch

from hypernas.errors import ConfigError
from hypernas.estimate.train.datasets import Dataset
from hypernas.estimate.train.trainer import as_float

Batch = tuple[torch.Tensor, torch.Tensor]
Data = Iterable[Batch] | tuple[torch.Tensor, torch.Tensor]
"""A data loader, or ``(inputs, labels)`` tensors of the whole split."""


def is_tensor_pair(data: object) -> TypeGuard[tuple[torch.Tensor, torch.Tensor]]:
    return isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)


def check_data(owner: str, name: str, data: object) -> None:
    """Refuse what is neither a pair of tensors with one label per input nor an iterable of batches."""
    if is_tensor_pair(data):
        x, y = data
        if len(x) != len(y) or len(x) == 0:
            raise ConfigError(f"{owner}: {name} needs as many labels as inputs (and at least one), got {len(x)} "
                              f"inputs and {len(y)} labels")
    elif not isinstance(data, Iterable) or isinstance(data, (str, bytes, tuple)):
        raise ConfigError(f"{owner}: {name} must be a data loader of (inputs, labels) batches or an (inputs, labels) "
                          f"pair of tensors, got {type(data).__name__}")


def batches(data: Data, batch_size: int, generator: torch.Generator, device: torch.device) -> Iterator[Batch]:
    """One epoch of ``data``: a tensor pair in a fresh random order drawn from ``generator``, a loader as it yields."""
    if is_tensor_pair(data):
        x, y = data
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            yield x[idx].to(device), y[idx].to(device)
    else:
        for x, y in data:
            yield x.to(device), y.to(device)


def as_tensors(data: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """A dataset split as the ``(inputs, labels)`` pair a search reads: float inputs, integer labels."""
    return as_float(data.x), data.y
