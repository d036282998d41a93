"""The ENAS controller (Pham et al. 2018): an LSTM that emits a cell decision by decision, and its REINFORCE training.

For an NB201 cell the controller picks one operation per edge, in the order of the cell's edges. For DARTS
cells (normal, then reduction, one LSTM state running through both) it picks, for every intermediate node,
two inputs and then their two operations. An input is chosen by attention over the nodes built so far (each
node's key is a projection of the LSTM output that closed it); the second input is drawn from the nodes other
than the first, since a DARTS genotype reads two different nodes. The chosen operation's embedding, or the
chosen node's LSTM output, is the next step's input. Logits are divided by a temperature and squashed by
``tanh_constant * tanh`` (the paper's 5.0 and 2.5); the weights start uniform in [-0.1, 0.1].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from hypernas.errors import ConfigError, SpaceError
from hypernas.space.arch.darts import CELLS, DARTSCell
from hypernas.space.arch.nb201 import NB201Cell


@dataclass(frozen=True)
class EdgeChoice:
    """One chosen edge of a cell: node ``node`` reads node ``source`` through ``op``; ``probs`` is the distribution
    over the controller's operations that ``op`` was drawn from (detached)."""

    source: int
    node: int
    op: str
    probs: torch.Tensor


@dataclass
class Sample:
    """An architecture the controller emitted: its ``genotype``, the ``tokens`` it chose (inputs and operations, in
    the order it chose them), the log-probability of each choice (differentiable unless sampled under no_grad),
    the summed entropy of the distributions it chose from, and each cell type's chosen edges."""

    genotype: Any
    tokens: list[int]
    log_probs: list[torch.Tensor]
    entropy: torch.Tensor
    edges: dict[str, list[EdgeChoice]] = field(default_factory=dict)

    @property
    def log_prob(self) -> torch.Tensor:
        """The log-probability of the whole architecture: the sum over its choices."""
        return torch.stack(self.log_probs).sum()


# pick(probabilities over the allowed choices, allowed choices) -> the chosen one (an element of allowed)
Pick = Callable[[torch.Tensor, list[int]], int]


class ENASController(nn.Module):
    """The policy over the genotypes of ``space`` (an NB201 cell or DARTS cells): ``hidden`` LSTM units (100 as
    published). A DARTS cell's operations exclude ``none``, which is no operation of ENAS's cells."""

    def __init__(self, space: NB201Cell | DARTSCell, hidden: int = 100, *, temperature: float = 5.0,
                 tanh_constant: float = 2.5) -> None:
        super().__init__()
        if not isinstance(space, (NB201Cell, DARTSCell)):
            raise ConfigError(f"enas controller: needs an NB201 or DARTS cell space, got {type(space).__name__}")
        self.space = space
        self.ops = tuple(space.ops) if isinstance(space, NB201Cell) else tuple(o for o in space.ops if o != "none")
        if not self.ops:
            raise SpaceError(f"enas controller: the DARTS cell needs an operation other than 'none', got {list(space.ops)}")
        self.hidden = hidden
        self.temperature = temperature
        self.tanh_constant = tanh_constant
        self.start = nn.Parameter(torch.zeros(1, hidden))
        self.embed = nn.Embedding(len(self.ops), hidden)
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.op_head = nn.Linear(hidden, len(self.ops))
        if isinstance(space, DARTSCell):
            self.attn_key = nn.Linear(hidden, hidden, bias=False)
            self.attn_query = nn.Linear(hidden, hidden, bias=False)
            self.attn_score = nn.Linear(hidden, 1, bias=False)

    def reset(self, generator: torch.Generator) -> None:
        """Every weight drawn anew, uniform in [-0.1, 0.1] (as published)."""
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.rand(p.shape, generator=generator, dtype=p.dtype) * 0.2 - 0.1)

    # --- emitting architectures ---------------------------------------------------------------
    def sample(self, generator: torch.Generator) -> Sample:
        """An architecture drawn from the policy with ``generator``."""
        return self._walk(lambda probs, allowed: allowed[int(torch.multinomial(probs, 1, generator=generator))])

    def greedy(self) -> Sample:
        """The architecture of the most likely choice at every step (the first of equals)."""
        return self._walk(lambda probs, allowed: allowed[int(torch.argmax(probs))])

    def replay(self, tokens: Sequence[int]) -> Sample:
        """The architecture of ``tokens`` (as a :class:`Sample` holds them), with their log-probabilities now."""
        it = iter(tokens)

        def pick(probs: torch.Tensor, allowed: list[int]) -> int:
            token = next(it, None)
            if token not in allowed:
                raise ConfigError(f"enas controller: token {token!r} is not a choice here; allowed: {allowed}")
            return int(token)

        sample = self._walk(pick)
        if len(sample.tokens) != len(tokens):
            raise ConfigError(f"enas controller: an architecture has {len(sample.tokens)} tokens, got {len(tokens)}")
        return sample

    # --- the walk -------------------------------------------------------------------------------
    def _shape(self, logits: torch.Tensor) -> torch.Tensor:
        return self.tanh_constant * torch.tanh(logits / self.temperature)

    def _walk(self, pick: Pick) -> Sample:
        state = (torch.zeros(1, self.hidden), torch.zeros(1, self.hidden))
        tokens: list[int] = []
        log_probs: list[torch.Tensor] = []
        entropies: list[torch.Tensor] = []

        def choose(logits: torch.Tensor, allowed: list[int]) -> tuple[int, torch.Tensor]:
            log_p = torch.log_softmax(self._shape(logits)[allowed], dim=-1)
            probs = log_p.exp()
            token = pick(probs.detach(), allowed)
            log_probs.append(log_p[allowed.index(token)])
            entropies.append(-(probs * log_p).sum())
            tokens.append(token)
            full = torch.zeros(logits.shape[-1])
            full[allowed] = probs.detach()
            return token, full

        def step(x: torch.Tensor) -> torch.Tensor:
            nonlocal state
            state = self.lstm(x, state)
            return state[0]

        every_op = list(range(len(self.ops)))
        edges: dict[str, list[EdgeChoice]] = {}
        genotype: Any
        if isinstance(self.space, NB201Cell):
            x: torch.Tensor = self.start
            chosen = []
            for i, j in self.space.edges:
                op, probs = choose(self.op_head(step(x))[0], every_op)
                chosen.append(EdgeChoice(i, j, self.ops[op], probs))
                x = self.embed.weight[op:op + 1]
            edges["cell"] = chosen
            genotype = self.space.from_ops([e.op for e in chosen])
        else:
            for key in CELLS:
                edges[key] = self._darts_cell(self.space, step, choose, every_op)
            genotype = {key: [[e.op, e.source] for e in chosen] for key, chosen in edges.items()}
        return Sample(genotype, tokens, log_probs, torch.stack(entropies).sum(), edges)

    def _darts_cell(self, space: DARTSCell, step: Callable[[torch.Tensor], torch.Tensor],
                    choose: Callable[[torch.Tensor, list[int]], tuple[int, torch.Tensor]],
                    every_op: list[int]) -> list[EdgeChoice]:
        """One DARTS cell: per node, its two inputs by attention over the earlier nodes, then their operations."""
        outputs = [step(self.start), step(self.start)]  # the cell's two input nodes
        keys = [self.attn_key(h) for h in outputs]
        chosen: list[EdgeChoice] = []
        for node in range(2, space.steps + 2):
            x: torch.Tensor = self.start
            inputs: list[int] = []
            for _ in range(2):
                h = step(x)
                scores = self.attn_score(torch.tanh(torch.cat(keys) + self.attn_query(h)))[:, 0]
                source, _ = choose(scores, [i for i in range(node) if i not in inputs])
                inputs.append(source)
                x = outputs[source]
            for source in inputs:
                op, probs = choose(self.op_head(step(x))[0], every_op)
                chosen.append(EdgeChoice(source, node, self.ops[op], probs))
                x = self.embed.weight[op:op + 1]
            outputs.append(step(x))
            keys.append(self.attn_key(outputs[-1]))
        return chosen


class PolicyGradient:
    """REINFORCE for a controller: Adam on ``-(R - b) * log p(architecture)``, where the reward ``R`` is the
    caller's plus ``entropy_weight`` times the sample's entropy, and the baseline ``b`` a moving average of
    rewards (``b <- b - (1 - decay) (b - R)``, updated before use, starting at the first reward)."""

    def __init__(self, controller: ENASController, lr: float = 3.5e-4, baseline_decay: float = 0.95,
                 entropy_weight: float = 1e-4) -> None:
        self.controller = controller
        self.optimizer = torch.optim.Adam(controller.parameters(), lr)
        self.baseline_decay = baseline_decay
        self.entropy_weight = entropy_weight
        self.baseline: float | None = None

    def step(self, reward: Callable[[Sample], float], generator: torch.Generator, samples: int = 1) -> dict[str, float]:
        """One update on the mean gradient of ``samples`` architectures drawn with ``generator``. Returns the mean
        reward (with its entropy bonus), the baseline after the update and the mean entropy."""
        self.optimizer.zero_grad()
        rewards, entropies, b = [], [], 0.0
        for _ in range(samples):
            sample = self.controller.sample(generator)
            entropy = float(sample.entropy.detach())
            r = float(reward(sample)) + self.entropy_weight * entropy
            b = r if self.baseline is None else self.baseline - (1 - self.baseline_decay) * (self.baseline - r)
            self.baseline = b
            (-(r - b) / samples * sample.log_prob).backward()
            rewards.append(r)
            entropies.append(entropy)
        self.optimizer.step()
        return {"reward": sum(rewards) / samples, "baseline": b, "entropy": sum(entropies) / samples}
