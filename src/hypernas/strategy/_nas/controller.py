"""The LSTM controller of :mod:`hypernas.strategy.reinforce`, and (de)serialization of its state."""

from __future__ import annotations

import base64
import io
from typing import Any

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


def dump_state(obj: Any) -> str:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def load_state(text: str) -> Any:
    return torch.load(io.BytesIO(base64.b64decode(text)), weights_only=True)
