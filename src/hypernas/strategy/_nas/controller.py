"""The LSTM controller of :mod:`hypernas.strategy.reinforce`, and its training state as JSON data."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from hypernas.strategy._nas.tokens import TokenPlan


class Controller(nn.Module):
    """An LSTM that reads the previous token's embedding and scores the current slot's choices."""

    def __init__(self, plan: TokenPlan, hidden: int) -> None:
        super().__init__()
        self.plan = plan
        self.embed = nn.Embedding(plan.vocabulary + 1, hidden)  # the last row is the start token
        self.cell = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for _, _, n in plan.slots)

    def reset(self, generator: torch.Generator, scale: float = 0.1) -> None:
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-scale, scale, generator=generator)

    def run(self, choose: Any) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor]:
        """Walk the slots; ``choose(slot, logits)`` returns the token. Returns params, log-prob sum, entropy sum."""
        hidden = self.cell.hidden_size
        state = (torch.zeros(1, hidden), torch.zeros(1, hidden))
        prev = torch.tensor([self.plan.vocabulary])
        logp, entropy = torch.zeros(()), torch.zeros(())

        def step(slot: int) -> int:
            nonlocal state, prev, logp, entropy
            state = self.cell(self.embed(prev), state)
            logits = self.heads[slot](state[0])[0]
            log_probs = torch.log_softmax(logits, dim=-1)
            token = int(choose(slot, logits))
            logp = logp + log_probs[token]
            entropy = entropy - (log_probs.exp() * log_probs).sum()
            prev = torch.tensor([self.plan.offsets[slot] + token])
            return token

        params, _ = self.plan.generate(step)
        return params, logp, entropy


def training_state(controller: Controller, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """The controller's weights and the optimizer's state as JSON data (tensors as base64 bytes, exact)."""
    saved = optimizer.state_dict()
    return {"model": {name: _tensor_to_json(t) for name, t in controller.state_dict().items()},
            "optimizer": {"state": {str(i): {k: _tensor_to_json(v) if isinstance(v, torch.Tensor) else v
                                             for k, v in s.items()} for i, s in saved["state"].items()},
                          "param_groups": saved["param_groups"]}}


def load_training_state(controller: Controller, optimizer: torch.optim.Optimizer, data: Mapping[str, Any]) -> None:
    """Restore what :func:`training_state` saved."""
    controller.load_state_dict({name: _tensor_from_json(t) for name, t in data["model"].items()})
    saved = data["optimizer"]
    optimizer.load_state_dict({
        "state": {int(i): {k: _tensor_from_json(v) if isinstance(v, dict) else v for k, v in s.items()}
                  for i, s in saved["state"].items()},
        "param_groups": saved["param_groups"]})


# the dtypes a controller's state holds: the name saved with a tensor -> (torch dtype, NumPy dtype, little-endian)
_DTYPES = {"float32": (torch.float32, "<f4"), "float64": (torch.float64, "<f8"), "int64": (torch.int64, "<i8")}


def _tensor_to_json(t: torch.Tensor) -> dict[str, Any]:
    """A tensor as its dtype, shape and raw little-endian bytes in base64: exact, and fast to save and load."""
    name = str(t.dtype).removeprefix("torch.")
    raw = t.detach().cpu().contiguous().numpy().astype(_DTYPES[name][1], copy=False).tobytes()
    return {"dtype": name, "shape": list(t.shape), "base64": base64.b64encode(raw).decode("ascii")}


def _tensor_from_json(data: Mapping[str, Any]) -> torch.Tensor:
    dtype, layout = _DTYPES[data["dtype"]]
    values = np.frombuffer(base64.b64decode(data["base64"]), dtype=layout).astype(layout[1:], copy=True)
    return torch.from_numpy(values).to(dtype).reshape(data["shape"])
