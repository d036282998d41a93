"""REINFORCE with an LSTM controller (Zoph & Le 2017).

The controller emits the genotype token by token (see :mod:`hypernas.strategy._nas.tokens`): at every
slot the LSTM's state gives a softmax over the slot's choices, and the chosen token's embedding is
the next input. After each result the policy gradient step maximizes
``(R - b) * sum_t log p(a_t | a_<t) + entropy_weight * H`` where ``b`` is a moving average of
rewards. With ``batch_size`` m > 1 the controller is updated once per m results, on the mean of
their objectives (Zoph & Le's parallel controller: m architectures sampled from one policy,
trained in parallel); parallel workers' pending trials are samples of the current policy either
way. The controller's weights, optimizer state and baseline (and the results of an unfinished
batch) are saved with the study (as JSON numbers) after every result, so a resumed study continues
with the trained controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.strategy._nas.candidates import check_weights, reward, seen_keys, unseen_mutation
from hypernas.strategy._nas.tokens import TokenPlan, check_tokens
from hypernas.strategy.base import BadState, Strategy, StudyView, state_dict, state_int, state_ints, state_number
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_int, check_number

if TYPE_CHECKING:
    import torch

    from hypernas.strategy._nas.controller import Controller

@register_strategy("reinforce")
class Reinforce(Strategy):
    """Policy-gradient search with an LSTM controller, moving-average baseline and entropy bonus."""

    def __init__(self, hidden: int = 32, lr: float = 0.01, baseline_decay: float = 0.9, entropy_weight: float = 1e-3,
                 resolution: int = 5, batch_size: int = 1, weights: Sequence[float] | None = None,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        self.hidden = check_int("reinforce", "hidden", hidden, 1, error=StrategyError)
        self.lr = check_number("reinforce", "lr", lr, 0, 10, error=StrategyError)
        self.baseline_decay = check_number("reinforce", "baseline_decay", baseline_decay, 0, 1, error=StrategyError)
        self.entropy_weight = check_number("reinforce", "entropy_weight", entropy_weight, 0, 100, error=StrategyError)
        self.resolution = check_int("reinforce", "resolution", resolution, 2, error=StrategyError)
        self.batch_size = check_int("reinforce", "batch_size", batch_size, 1, error=StrategyError)
        self.weights = check_weights("reinforce", weights)
        self._cache: tuple[tuple[str, int], Controller, torch.optim.Optimizer, float | None] | None = None

    def check_space(self, space: Space) -> None:
        check_tokens(self.name, space, self.resolution)

    def _fresh(self, space: Space) -> tuple[Controller, torch.optim.Optimizer]:
        """An untrained controller for ``space`` and its optimizer."""
        import torch

        from hypernas.strategy._nas.controller import Controller

        controller = Controller(TokenPlan(space, self.resolution), self.hidden)
        return controller, torch.optim.Adam(controller.parameters(), lr=self.lr)

    def check_state(self, study: StudyView, state: Any) -> dict[str, Any]:
        """The ``version`` (updates so far), the reward ``baseline`` and the controller's ``model`` and ``optimizer``
        as :func:`~hypernas.strategy._nas.controller.training_state` saves them for a controller of this space;
        with ``batch_size`` > 1 also ``batch``, the numbers of the told trials awaiting the next update."""
        from hypernas.strategy._nas.controller import check_training_state

        state = state_dict(state, "state", _STATE_KEYS + (("batch",) if self.batch_size > 1 else ()))
        version = (study.space.to_json(), state_int(state["version"], "version"))
        if state["baseline"] is not None or version[1]:  # None: no update yet (a first batch is being gathered)
            state_number(state["baseline"], "baseline")
        if self.batch_size > 1 and len(state_ints(state["batch"], "batch")) >= self.batch_size:
            raise BadState.expected("batch", f"fewer than {self.batch_size} trial numbers", state["batch"])
        if self._cache is not None and self._cache[0] == version:
            return state  # this version is loaded already: its tensors are not read again
        if self._cache is not None and self._cache[0][0] == version[0]:  # the shapes of the cached one will do
            controller, optimizer = self._cache[1], self._cache[2]
        else:
            controller, optimizer = self._fresh(study.space)
        check_training_state(controller, optimizer, state)
        return state

    def _state(self, study: StudyView) -> tuple[tuple[str, int], Controller, torch.optim.Optimizer, float | None]:
        """The controller as saved with the study (cached while the study's space and version match)."""
        import torch

        from hypernas.strategy._nas.controller import load_training_state

        saved = self.load_state(study)  # {"version": updates so far, "baseline", "model", "optimizer"}
        version = (study.space.to_json(), saved["version"] if saved else 0)
        if self._cache is not None and self._cache[0] == version:
            return self._cache
        controller, optimizer = self._fresh(study.space)
        seed = self.seed if self.seed is not None else study.seed
        controller.reset(torch.Generator().manual_seed(int(seed) if seed is not None else cast(int, np.random.SeedSequence().entropy) % 2**63))
        baseline = None
        if saved:
            load_training_state(controller, optimizer, saved)
            baseline = saved["baseline"]
        self._cache = (version, controller, optimizer, baseline)
        return self._cache

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        import torch

        _, controller, _, _ = self._state(study)
        rng = self.rng_for(study, trial)
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        seen = seen_keys(study)
        space: Space = study.space
        with torch.no_grad():
            for _ in range(20):  # resample a few times to avoid repeating an evaluated configuration
                params, _, _ = controller.run(lambda slot, logits: torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))
                if space.key(params) not in seen:
                    return params
        return unseen_mutation(space, params, rng, seen)

    def tell(self, study: StudyView, trial: FrozenTrial) -> None:
        if trial.state is not TrialState.COMPLETE or not trial.values:
            return
        from hypernas.strategy._nas.controller import training_state

        version, controller, optimizer, baseline = self._state(study)
        batch = [trial]
        if self.batch_size > 1:
            saved = self.load_state(study)
            numbers = [*(saved["batch"] if saved else []), trial.number]
            if len(numbers) < self.batch_size:  # the update waits for the rest of the batch
                self.save_state(study, {"version": version[1], "baseline": baseline, "batch": numbers,
                                        **training_state(controller, optimizer)})
                return
            told = {t.number: t for t in study.get_trials((TrialState.COMPLETE,))}
            batch = [told.get(n, trial) for n in numbers]
        plan = TokenPlan(study.space, self.resolution)
        losses = []
        for done in batch:
            r = reward(done, study.directions, self.weights)
            baseline = r if baseline is None else self.baseline_decay * baseline + (1 - self.baseline_decay) * r
            tokens = iter(t for _, t in plan.tokens_of(done.params))
            _, logp, entropy = controller.run(lambda slot, logits, tokens=tokens: next(tokens))
            losses.append(-(r - baseline) * logp - self.entropy_weight * entropy)
        loss = losses[0] if len(losses) == 1 else sum(losses[1:], losses[0]) / len(losses)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        version = (version[0], version[1] + 1)
        state = {"version": version[1], "baseline": baseline, **training_state(controller, optimizer)}
        self.save_state(study, {**state, "batch": []} if self.batch_size > 1 else state)
        self._cache = (version, controller, optimizer, baseline)


_STATE_KEYS = ("version", "baseline", "model", "optimizer")
