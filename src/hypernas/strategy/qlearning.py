"""MetaQNN Q-learning (Baker et al. 2017): choose the architecture layer by layer.

The state is (slot, previous token) of the token sequence (:mod:`hypernas.strategy._nas.tokens`);
the action is the slot's token. Proposals are epsilon-greedy with epsilon decreasing along
``epsilon_schedule`` (pairs ``[from_trial, epsilon]``). After every result, ``replay`` experiences
sampled from all finished trials (the new one included) update the table backwards along their
sequences: ``Q(s,a) <- (1 - alpha) Q(s,a) + alpha (r + gamma max_a' Q(s',a'))`` with ``r`` the
reward, scaled into [0, 1] by the range seen so far, at the last step and 0 before. The Q table is
saved with the study.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.strategy._nas.candidates import check_weights, scored, seen_keys, unseen_mutation
from hypernas.strategy._nas.tokens import TokenPlan, check_tokens
from hypernas.strategy.base import BadState, Strategy, StudyView, state_dict, state_numbers
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_int, check_number

_STATE_KEY = re.compile(r"(0|[1-9][0-9]{0,8}):(-1|0|[1-9][0-9]{0,8})")  # "slot:previous token"
DEFAULT_SCHEDULE = ((0, 1.0), (20, 0.9), (30, 0.7), (40, 0.5), (50, 0.3), (60, 0.2), (70, 0.1))


@register_strategy("qlearning")
class QLearning(Strategy):
    """Tabular Q-learning over token sequences with epsilon-greedy exploration and experience replay."""

    def __init__(self, alpha: float = 0.1, gamma: float = 1.0, replay: int = 64, q_init: float = 0.5,
                 epsilon_schedule: Sequence[Sequence[float]] = DEFAULT_SCHEDULE, resolution: int = 5,
                 weights: Sequence[float] | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.alpha = check_number("qlearning", "alpha", alpha, 0, 1, error=StrategyError)
        self.gamma = check_number("qlearning", "gamma", gamma, 0, 1, error=StrategyError)
        self.replay = check_int("qlearning", "replay", replay, 1, error=StrategyError)
        self.q_init = check_number("qlearning", "q_init", q_init, error=StrategyError)
        try:
            schedule = sorted((int(n), float(e)) for n, e in epsilon_schedule)
        except (TypeError, ValueError):
            schedule = []
        if not schedule or any(not 0 <= e <= 1 for _, e in schedule):
            raise StrategyError("qlearning: epsilon_schedule must be a list of [from_trial, epsilon] pairs with "
                                f"epsilon in [0, 1], got {epsilon_schedule!r}")
        self.epsilon_schedule = schedule
        self.resolution = check_int("qlearning", "resolution", resolution, 2, error=StrategyError)
        self.weights = check_weights("qlearning", weights)

    def check_space(self, space: Space) -> None:
        check_tokens(self.name, space, self.resolution)

    def epsilon(self, number: int) -> float:
        """Exploration rate for trial ``number``."""
        eps = self.epsilon_schedule[0][1]
        for start, e in self.epsilon_schedule:
            if number >= start:
                eps = e
        return eps

    def _q(self, table: dict[str, list[float]], plan: TokenPlan, slot: int, prev: int) -> list[float]:
        key = f"{slot}:{prev}"
        if key not in table:
            table[key] = [self.q_init] * plan.slots[slot][2]
        return table[key]

    def check_state(self, study: StudyView, state: Any) -> dict[str, list[float]]:
        """The Q table: ``"slot:previous token"`` (-1 before the first slot) -> one value per choice of the slot."""
        plan = TokenPlan(study.space, self.resolution)
        for key, values in state_dict(state, "state").items():
            match = _STATE_KEY.fullmatch(key)
            slot, prev = (int(match[1]), int(match[2])) if match else (-1, -1)
            if not 0 <= slot < len(plan.slots) or prev >= plan.vocabulary:
                raise BadState.expected("state", f"keys 'slot:previous token' with a slot below {len(plan.slots)} and a "
                                                 f"token from -1 to {plan.vocabulary - 1}", key)
            state_numbers(values, f"state[{key!r}]", plan.slots[slot][2])
        return state

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        plan = TokenPlan(study.space, self.resolution)
        table = self.load_state(study) or {}  # the Q table: "slot:previous token" -> a value per token
        rng = self.rng_for(study, trial)
        eps = self.epsilon(trial.number)
        seen = seen_keys(study)
        prev = [-1]

        def choose(slot: int) -> int:
            q = self._q(table, plan, slot, prev[0])
            if rng.random() < eps:
                token = int(rng.integers(len(q)))
            else:
                best = np.flatnonzero(np.isclose(q, max(q)))
                token = int(best[int(rng.integers(len(best)))])
            prev[0] = plan.offsets[slot] + token
            return token

        for _ in range(20):  # a few redraws to avoid repeating an evaluated configuration
            prev[0] = -1
            params, _ = plan.generate(choose)
            if study.space.key(params) not in seen:
                return params
        return unseen_mutation(study.space, params, rng, seen)

    def tell(self, study: StudyView, trial: FrozenTrial) -> None:
        if trial.state is not TrialState.COMPLETE or not trial.values:
            return
        plan = TokenPlan(study.space, self.resolution)
        table = self.load_state(study) or {}
        done = scored(study, self.weights)
        rewards = [r for _, r in done]
        lo, hi = min(rewards), max(rewards)
        rng = self.rng_for(study, trial, purpose=1)
        memory = [t for t, _ in done if t.number != trial.number]
        picks = [trial] + [memory[int(i)] for i in rng.integers(len(memory), size=min(self.replay - 1, len(memory)))] if memory else [trial]
        by_number = {t.number: r for t, r in done}
        for t in picks:
            r = (by_number[t.number] - lo) / (hi - lo) if hi > lo else 0.5
            seq = plan.tokens_of(t.params)
            prevs = [-1] + [plan.offsets[s] + a for s, a in seq[:-1]]
            for k in range(len(seq) - 1, -1, -1):
                slot, action = seq[k]
                q = self._q(table, plan, slot, prevs[k])
                if k == len(seq) - 1:
                    target = r
                else:
                    nxt_slot = seq[k + 1][0]
                    target = self.gamma * max(self._q(table, plan, nxt_slot, plan.offsets[slot] + action))
                q[action] = (1 - self.alpha) * q[action] + self.alpha * target
        self.save_state(study, table)
