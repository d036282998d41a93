"""Tree-structured Parzen Estimator (TPE): propose where good trials are dense and bad ones are not.

After ``n_startup_trials`` random trials, the finished trials are split by quality: the best
``min(ceil(gamma * n), max_below)`` are "good", the rest "bad" (pruned trials and, with
``constant_liar``, still-running ones count as bad, so parallel asks spread out). A Parzen
estimator is fitted to each group; ``n_candidates`` draws from the good density are scored by
log l(x) - log g(x) and the best is proposed. ``multivariate=True`` models parameters that are
active together jointly (one group per activation condition, so conditional spaces work);
``False`` models each parameter on its own. Several objectives rank trials by Pareto front and
crowding distance; a user attribute ``constraint_attr`` (<= 0 is feasible) ranks infeasible
trials after feasible ones.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial
from hypernas.space import Categorical, Fixed, Float, Int, Param, Space, value_key
from hypernas.strategy._bo.history import History, check_params, model_column, quality_order, read_history
from hypernas.strategy._bo.parzen import CATEGORICAL, CONTINUOUS, DISCRETE, Dim, ParzenEstimator
from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_bool, check_int, check_number


def _dim(p: Param) -> Dim:
    if isinstance(p, Categorical):
        return Dim(CATEGORICAL, p.cardinality)
    if isinstance(p, (Float, Int)) and p.cardinality is not None and not p.log:
        return Dim(DISCRETE, p.cardinality)
    return Dim(CONTINUOUS)


def _number(trial: FrozenTrial) -> int:
    return trial.number


def _recency_weights(n: int) -> np.ndarray:
    """Equal weights, except that beyond 25 observations the older ones fade linearly."""
    if n < 25:
        return np.ones(n)
    return np.concatenate((np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)))


@register_strategy("tpe")
class TPE(Strategy):
    """Tree-structured Parzen Estimator for float, int (log or not), categorical and conditional parameters."""

    models_partial = True

    def __init__(self, n_startup_trials: int = 10, n_candidates: int = 24, gamma: float = 0.1, max_below: int = 25,
                 multivariate: bool = True, prior_weight: float = 1.0, constant_liar: bool = True,
                 constraint_attr: str | None = "constraint", seed: int | None = None) -> None:
        super().__init__(seed)
        self.n_startup_trials = check_int("tpe", "n_startup_trials", n_startup_trials, 0, error=StrategyError)
        self.n_candidates = check_int("tpe", "n_candidates", n_candidates, 1, error=StrategyError)
        self.gamma = check_number("tpe", "gamma", gamma, 0, 1, low_open=True, error=StrategyError)
        self.max_below = check_int("tpe", "max_below", max_below, 1, error=StrategyError)
        self.multivariate = check_bool("tpe", "multivariate", multivariate, error=StrategyError)
        self.prior_weight = check_number("tpe", "prior_weight", prior_weight, 0, low_open=True, error=StrategyError)
        self.constant_liar = check_bool("tpe", "constant_liar", constant_liar, error=StrategyError)
        self.constraint_attr = constraint_attr

    def check_space(self, space: Space) -> None:
        check_params("tpe", space)

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        rng = self.rng_for(study, trial)
        history = read_history(study, trial, self.constraint_attr)
        if len(history.complete) < max(self.n_startup_trials, 1):
            return space.sample(rng)
        pool, is_below = self._split(history)
        columns = _Columns(space, pool)
        below, above = np.flatnonzero(is_below), np.flatnonzero(~is_below)
        proposal: dict[str, Any] = {}
        for group in self._groups(space, columns):
            if not space.is_active(group[0], proposal):
                continue
            modelled = []
            for name in group:
                p = space[name]
                if isinstance(p, Fixed) or p.cardinality == 1:
                    proposal[name] = p.default
                else:
                    modelled.append(name)
            if modelled:
                proposal.update(self._sample_group(space, modelled, columns, below, above, rng))
        return proposal

    def _split(self, history: History) -> tuple[list[FrozenTrial], np.ndarray]:
        """The modelled trials in number order, and which of them are good.

        Good: the best ``min(ceil(gamma * n), max_below)`` complete trials; bad: the other complete
        ones, the pruned ones and (with ``constant_liar``) the running ones.
        """
        order = quality_order(history.values, history.violations)
        n_below = min(math.ceil(self.gamma * len(order)), self.max_below)
        good = {history.complete[i].number for i in order[:n_below]}
        pool = sorted(history.complete + history.pruned + (history.running if self.constant_liar else []),
                      key=_number)
        return pool, np.array([t.number in good for t in pool], dtype=bool)

    def _groups(self, space: Space, columns: _Columns) -> list[list[str]]:
        """Parameters modelled together: all with the same activation condition, or each alone; a parameter some
        trials lack without a condition saying when (one suggested under an ``if``) is modelled alone."""
        if not self.multivariate:
            return [[name] for name in space]
        groups: dict[str, list[str]] = {}
        for name, p in space.items():
            partial = not p.when and not columns.everywhere(name)
            groups.setdefault(f"partial:{name}" if partial else value_key(p.when), []).append(name)
        return list(groups.values())

    def _estimator(self, space: Space, names: list[str], columns: _Columns, rows: np.ndarray) -> ParzenEstimator:
        """The Parzen estimator of the trials ``rows`` (in number order) over the parameters ``names``."""
        obs = np.column_stack([columns[n][rows] for n in names])
        obs = obs[~np.isnan(obs).any(axis=1)]
        return ParzenEstimator([_dim(space[n]) for n in names], obs, _recency_weights(len(obs)), self.prior_weight)

    def _sample_group(self, space: Space, names: list[str], columns: _Columns, below: np.ndarray,
                      above: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        good = self._estimator(space, names, columns, below)
        bad = self._estimator(space, names, columns, above)
        candidates = good.sample(rng, self.n_candidates)
        best = candidates[int(np.argmax(good.log_pdf(candidates) - bad.log_pdf(candidates)))]
        out: dict[str, Any] = {}
        for name, x in zip(names, best):
            p = space[name]
            out[name] = p.choices[int(x)] if isinstance(p, Categorical) else p.decode([float(x)])
        return out


class _Columns:
    """Each parameter's values over the trials in the model's scale, NaN where inactive; built on demand."""

    def __init__(self, space: Space, trials: list[FrozenTrial]) -> None:
        self.space = space
        self.trials = trials
        self._cache: dict[str, np.ndarray] = {}

    def everywhere(self, name: str) -> bool:
        """Whether every trial has parameter ``name``."""
        return all(name in t.params for t in self.trials)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            p = self.space[name]
            if self.everywhere(name):
                self._cache[name] = model_column(p, [t.params[name] for t in self.trials])
            else:  # inactive by its condition, or not suggested by the trial's code (define-by-run)
                col = np.full(len(self.trials), np.nan)
                idx = [i for i, t in enumerate(self.trials) if name in t.params]
                col[idx] = model_column(p, [self.trials[i].params[name] for i in idx])
                self._cache[name] = col
        return self._cache[name]
