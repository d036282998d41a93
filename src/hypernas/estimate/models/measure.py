"""Cost of a built model: parameter count, FLOPs of one forward pass, and CPU latency."""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _dummy(model: nn.Module, input_shape: Sequence[int], batch_size: int) -> torch.Tensor:
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return torch.zeros((batch_size, *input_shape), device=device)


def count_flops(model: nn.Module, input_shape: Sequence[int]) -> int:
    """FLOPs of one forward pass on one sample, as PyTorch's flop counter counts them (2 per multiply-add)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(_dummy(model, input_shape, 1))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def measure_latency(model: nn.Module, input_shape: Sequence[int], *, batch_size: int = 1, repeats: int = 20,
                    warmup: int = 3) -> float:
    """Median wall time in milliseconds of one forward pass on the CPU (a copy of the model, eval mode)."""
    cpu_model = copy.deepcopy(model).to("cpu").eval()
    x = torch.zeros((batch_size, *input_shape))
    times = []
    with torch.inference_mode():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            cpu_model(x)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0
