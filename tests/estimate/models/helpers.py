"""What the model tests share: a fingerprint of a built network and a recording edge factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import torch
from torch import nn

from hypernas.estimate.models import build_model


def fingerprint(name: str, input_shape: Sequence[int], num_classes: int, **options: Any) -> tuple[int, float, list[list[float]]]:
    """``(parameter count, order-sensitive checksum of the state, eval output)`` of ``build_model`` under seed 0.

    The reference numbers in the tests were computed on the code before the networks became
    edge-factory skeletons: the same seed must still give the same modules, in the same order.
    """
    torch.manual_seed(0)
    net = build_model(name, input_shape, num_classes, **options)
    checksum = sum((i + 1) * float(t.double().sum()) for i, t in enumerate(net.state_dict().values()))
    x = torch.randn((2, *input_shape), generator=torch.Generator().manual_seed(1))
    net.eval()
    with torch.no_grad():
        out = net(x).tolist()
    return sum(p.numel() for p in net.parameters()), checksum, out


def assert_fingerprint(got: tuple[int, float, list[list[float]]], params: int, checksum: float,
                       out: list[list[float]]) -> None:
    assert got[0] == params
    assert got[1] == pytest.approx(checksum, rel=1e-6)
    torch.testing.assert_close(torch.tensor(got[2]), torch.tensor(out), rtol=1e-4, atol=1e-5)


class Recorder:
    """An edge factory that records every call and delegates to ``build``."""

    def __init__(self, build: Any) -> None:
        self.build = build
        self.calls: list[tuple[Any, Any, int]] = []

    def __call__(self, op: Any, channels: Any, stride: int) -> nn.Module:
        self.calls.append((op, channels, stride))
        return self.build(op, channels, stride)


class MixedSum(nn.Module):
    """A stand-in for a supernet's mixed operation: the sum of every candidate's output."""

    def __init__(self, candidates: Sequence[nn.Module]) -> None:
        super().__init__()
        self.candidates = nn.ModuleList(candidates)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(m(x) for m in self.candidates)  # type: ignore[return-value]


def mixed(build: Any) -> Any:
    """An edge factory that mixes the candidates of a searchable edge, each built by ``build``."""
    return lambda op, channels, stride: MixedSum([build(o, channels, stride) for o in op])
