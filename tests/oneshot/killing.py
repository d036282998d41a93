"""A one-shot search killed after the checkpoint of its second epoch, then resumed: the shared check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn


class Killed(Exception):
    """Stands for the process being killed."""


def kill_after(epoch: int) -> Callable[[dict[str, Any]], None]:
    """A callback that 'kills' the search once epoch ``epoch``'s record (and checkpoint) is written."""
    def callback(record: dict[str, Any]) -> None:
        if record["epoch"] == epoch:
            raise Killed
    return callback


def check_resumes_bitwise(run: Callable[..., Any], make_net: Callable[[], nn.Module], path: Path) -> tuple[Any, Any]:
    """``run(net, **options)`` three epochs straight, then killed after epoch 2 with a checkpoint at ``path`` and
    run again: the saved epochs are handed to the callback again, the third is trained, and the network ends
    bitwise as the straight one. Returns both runs' results."""
    straight_net = make_net()
    straight = run(straight_net)
    with pytest.raises(Killed):
        run(make_net(), checkpoint=path, callback=kill_after(2))
    seen: list[int] = []
    resumed_net = make_net()
    resumed = run(resumed_net, checkpoint=path, callback=lambda r: seen.append(r["epoch"]))
    assert seen == [1, 2, 3]
    for (name, p), q in zip(straight_net.state_dict().items(), resumed_net.state_dict().values()):
        assert torch.equal(p, q), name
    return straight, resumed
