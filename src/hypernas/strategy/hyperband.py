"""Hyperband as a strategy: each trial gets its budget (epochs, data fraction) up front.

The scheduler runs brackets of synchronous successive halving. A bracket starts ``n`` fresh
configurations at a small budget; when every trial of a rung has finished, the best
``1/reduction_factor`` of them are proposed again with ``reduction_factor`` times the budget, up
to ``max_resource``. Brackets go from the most aggressive (many configurations, small first
budget) to plain full training, then repeat. When a rung must wait for running trials (parallel
workers), the next bracket starts meanwhile, so no worker idles.

Fresh configurations come from a pluggable ``base`` strategy (``random`` by default). The base
strategy sees, through :class:`BudgetView`, only the trials run at one budget: the largest one
with at least ``min_points_in_model`` complete trials. With a model-based base strategy this is
BOHB: the model is fitted on the most faithful budget that has enough data.

Each trial's budget is recorded with the trial when it is asked (a ``budget`` column in
``to_dataframe()``); the objective reads it from ``trial.budget``. The plan (which trial is in
which rung, with which budget) is kept with the study, so a resumed study continues the same brackets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.strategy.base import (
    Strategy,
    StudyView,
    objective_sign,
    state_dict,
    state_index,
    state_int,
    state_ints,
    state_list,
    state_number,
)
from hypernas.strategy.registry import make_strategy, register_strategy
from hypernas.validate import check_int, check_number


class BudgetView:
    """A study seen by the base strategy: only the trials run at ``budget``; everything else passes through."""

    def __init__(self, study: StudyView, budget: float | None, numbers: set[int]) -> None:
        self._study = study
        self.budget = budget
        self._numbers = numbers
        self.name = study.name
        self.space = study.space
        self.directions = study.directions
        self.seed = study.seed

    def get_trials(self, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        return [t for t in self._study.get_trials(states) if t.number in self._numbers]

    def strategy_state(self, key: str) -> Any | None:
        return self._study.strategy_state(key)

    def set_strategy_state(self, key: str, value: Any) -> None:
        self._study.set_strategy_state(key, value)


@register_strategy("hyperband")
class HyperbandScheduler(Strategy):
    """Hyperband brackets of synchronous successive halving over configurations from ``base``.

    ``n_brackets`` keeps only the most aggressive brackets (1: plain successive halving).
    """

    def __init__(self, base: Strategy | str | Mapping[str, Any] = "random", min_resource: float = 1,
                 max_resource: float = 27, reduction_factor: int = 3, n_brackets: int | None = None,
                 min_points_in_model: int | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        check_number("hyperband", "min_resource", min_resource, 0, low_open=True, error=StrategyError)
        check_number("hyperband", "max_resource", max_resource, 0, low_open=True, error=StrategyError)
        if max_resource < min_resource:
            raise StrategyError(f"hyperband: max_resource must be >= min_resource ({min_resource!r}), got {max_resource!r}")
        self.min_resource = min_resource  # as given: integer resources give integer budgets
        self.max_resource = max_resource
        self.reduction_factor = check_int("hyperband", "reduction_factor", reduction_factor, 2, error=StrategyError)
        self.s_max = 0
        while min_resource * reduction_factor ** (self.s_max + 1) <= max_resource * (1 + 1e-9):
            self.s_max += 1
        brackets = check_int("hyperband", "n_brackets", n_brackets, 1, self.s_max + 1, optional=True,
                             error=StrategyError)
        self.n_brackets = self.s_max + 1 if brackets is None else brackets
        self.min_points_in_model = check_int("hyperband", "min_points_in_model", min_points_in_model, 1, optional=True,
                                             error=StrategyError)
        self.base = make_strategy(base, seed=seed)
        if isinstance(self.base, HyperbandScheduler):
            raise StrategyError("hyperband: base must be a strategy that proposes configurations, not 'hyperband'")
        self._integer = all(isinstance(v, int) for v in (min_resource, max_resource))

    def check_space(self, space: Space) -> None:
        self.base.check_space(space)

    # --- the schedule ----------------------------------------------------------------------
    def bracket_halvings(self, index: int) -> int:
        """How many times bracket number ``index`` (0, 1, ... in the order they start) halves."""
        return self.s_max - index % self.n_brackets

    def rung_size(self, s: int, rung: int) -> int:
        """Trials in rung ``rung`` of a bracket that halves ``s`` times."""
        n = math.ceil((self.s_max + 1) / (s + 1) * self.reduction_factor ** s)
        return max(1, n // self.reduction_factor ** rung)

    def rung_budget(self, s: int, rung: int) -> float:
        """The budget of rung ``rung`` of a bracket that halves ``s`` times."""
        r = self.max_resource * float(self.reduction_factor) ** (rung - s)
        return max(1, round(r)) if self._integer else r

    def decisions(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        """The budget this scheduler gave ``trial`` (none when it did not propose it, e.g. a complete enqueued one)."""
        budget = self._load(study)["budgets"].get(str(trial.number))
        return {} if budget is None else {"budget": budget}

    # --- proposing -------------------------------------------------------------------------
    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        plan = self._load(study)
        _forget(plan, trial.number)
        history = {t.number: t for t in study.get_trials()}
        for bracket in plan["brackets"]:
            slot = self._next_slot(study, plan, bracket, history)
            if slot is not None:
                break
        else:
            s = self.bracket_halvings(len(plan["brackets"]))
            bracket = {"s": s, "rungs": [[] for _ in range(s + 1)]}
            plan["brackets"].append(bracket)
            slot = (0, None)
        rung, parent = slot
        if parent is None:
            params = self.base.ask(self._model_view(study, plan, history), trial)
        else:
            params = dict(history[parent].params)
            plan["parents"][str(trial.number)] = parent
        bracket["rungs"][rung].append(trial.number)
        plan["budgets"][str(trial.number)] = self.rung_budget(bracket["s"], rung)
        self.save_state(study, plan)
        return params

    def repeats(self, study: StudyView, trial: FrozenTrial) -> bool:
        """A promoted trial repeats its parent's configuration at a larger budget on purpose."""
        return str(trial.number) in self._load(study)["parents"]

    def tell(self, study: StudyView, trial: FrozenTrial) -> None:
        """Pass the result on to the base strategy, seeing the trials run at the same budget."""
        plan = self._load(study)
        budget = plan["budgets"].get(str(trial.number))
        if budget is not None:
            numbers = {int(n) for n, b in plan["budgets"].items() if b == budget}
            self.base.tell(BudgetView(study, budget, numbers), trial)

    def _next_slot(self, study: StudyView, plan: dict[str, Any], bracket: dict[str, Any],
                   history: dict[int, FrozenTrial]) -> tuple[int, int | None] | None:
        """``(rung, parent)`` for the next trial of ``bracket`` (parent None: a fresh configuration),
        or None when the bracket is complete or must wait for running trials."""
        s, rungs = bracket["s"], bracket["rungs"]
        if len(rungs[0]) < self.rung_size(s, 0):
            return 0, None
        sign = objective_sign(study.directions[0])
        for rung in range(1, s + 1):
            if len(rungs[rung]) >= self.rung_size(s, rung):
                continue
            below = [history.get(n) for n in rungs[rung - 1]]
            if any(t is not None and not t.state.is_finished for t in below):
                return None
            done = [t for t in below if t is not None and t.state is TrialState.COMPLETE and t.values]
            ranked = sorted(done, key=lambda t: (sign * t.values[0], t.number))  # type: ignore[index]
            promoted = {plan["parents"].get(str(n)) for n in rungs[rung]}
            for t in ranked[:self.rung_size(s, rung)]:
                if t.number not in promoted:
                    return rung, t.number
        return None

    def _model_view(self, study: StudyView, plan: dict[str, Any], history: dict[int, FrozenTrial]) -> BudgetView:
        """The history the base strategy learns from: the largest budget with enough complete trials."""
        by_budget: dict[float, set[int]] = {}
        for key, budget in plan["budgets"].items():
            by_budget.setdefault(budget, set()).add(int(key))
        if not by_budget:
            return BudgetView(study, None, set())
        needed = self.min_points_in_model or len(study.space) + 1

        def n_complete(numbers: set[int]) -> int:
            return sum(1 for n in numbers if n in history and history[n].state is TrialState.COMPLETE)

        enough = [b for b, numbers in by_budget.items() if n_complete(numbers) >= needed]
        budget = max(enough) if enough else max(by_budget, key=lambda b: (n_complete(by_budget[b]), -b))
        return BudgetView(study, budget, by_budget[budget])

    def check_state(self, study: StudyView, state: Any) -> dict[str, Any]:
        """The plan: ``brackets`` (each ``{"s": halvings, "rungs": [trial numbers per rung]}``), ``budgets``
        (trial number -> budget) and ``parents`` (promoted trial number -> the trial it repeats)."""
        plan = state_dict(state, "state", ("brackets", "budgets", "parents"))
        for i, bracket in enumerate(state_list(plan["brackets"], "brackets")):
            state_dict(bracket, f"brackets[{i}]", ("s", "rungs"))
            s = state_int(bracket["s"], f"brackets[{i}].s", 0, self.s_max)
            for r, rung in enumerate(state_list(bracket["rungs"], f"brackets[{i}].rungs", s + 1)):
                state_ints(rung, f"brackets[{i}].rungs[{r}]")
        for key, budget in state_dict(plan["budgets"], "budgets").items():
            state_index(key, "budgets")
            state_number(budget, f"budgets[{key!r}]", 0, low_open=True)
        for key, parent in state_dict(plan["parents"], "parents").items():
            state_index(key, "parents")
            state_int(parent, f"parents[{key!r}]")
        return plan

    def _load(self, study: StudyView) -> dict[str, Any]:
        """The plan (see :meth:`check_state`), empty before the first proposal."""
        plan: dict[str, Any] = self.load_state(study) or {"brackets": [], "budgets": {}, "parents": {}}
        return plan



def _forget(plan: dict[str, Any], number: int) -> None:
    """Drop trial ``number`` from ``plan``: the trial being proposed has no slot yet, and one it has was left
    by a proposal that the study rejected (studies saved that state before it was held back until the trial existed)."""
    for bracket in plan["brackets"]:
        for rung in bracket["rungs"]:
            rung[:] = [n for n in rung if n != number]
    plan["budgets"].pop(str(number), None)
    plan["parents"].pop(str(number), None)
