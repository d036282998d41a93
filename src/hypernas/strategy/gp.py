"""Gaussian-process Bayesian optimization on BoTorch: a model of the objective proposes where to look.

Parameters are modelled in the space's unit scale (log scales unfolded, integers relaxed then
snapped) by a zero-mean Matérn-5/2 GP with priors on its lengthscales, scale and noise
(``_bo.gp_model``), categorical ones through a categorical kernel (BoTorch's ``MixedSingleTaskGP``).
The first ``n_startup_trials`` are random samples (``startup="sobol"``: a scrambled Sobol design).
With one objective the values are first warped (``_bo.warping``: a Yeo-Johnson transform that
compresses a tail of bad values; ``warp_outputs=False`` models them as they are).

Acquisitions: ``logei`` (default), ``ei`` and ``ucb``; ``exploration`` is UCB's beta, or for (log)
EI a margin in standard deviations that an improvement must exceed. Improvement is measured
against the best observation; ``noisy=True`` measures it against the model's best mean at the
observations, so that a lucky observation of a noisy objective does not stall the search.
Still-running trials are pending points, so parallel asks spread out. Several directions use
qLogNEHVI; a user attribute ``constraint_attr`` (<= 0 is feasible) is modelled by extra outputs.

Hyperparameters are refitted at every proposal (``refit_growth``: only when the history has grown
by that fraction), warm-started from the last fit, which is part of the strategy's saved state so
that a resumed study proposes exactly what it would have. The Matérn model is fitted by a lean
maximum-a-posteriori fit (``_bo.gp_fit``), the categorical one by BoTorch's scipy fit.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial
from hypernas.space import Categorical, Fixed, Float, Int, Space
from hypernas.strategy._bo.history import (
    History,
    check_params,
    constraint_values,
    model_column,
    quality_order,
    read_history,
)
from hypernas.strategy._bo.startup import startup_params
from hypernas.strategy._bo.warping import warp
from hypernas.strategy.base import Strategy, StudyView, state_array, state_dict, state_int
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_bool, check_choice, check_int, check_number

_COLD_FIT_ITERS, _WARM_FIT_ITERS = 200, 40
ACQUISITIONS = ("logei", "ei", "ucb")
STARTUPS = ("random", "sobol")


class _Encoding:
    """Trials <-> model inputs: one column per searched parameter (unit value or choice index)."""

    def __init__(self, space: Space) -> None:
        from hypernas.strategy._bo.acquisition import Box
        self.space = space
        self.names = [n for n, p in space.items() if not isinstance(p, Fixed) and p.cardinality != 1]
        levels: dict[int, int] = {}
        choices: dict[int, int] = {}
        for j, name in enumerate(self.names):
            p = space[name]
            if isinstance(p, Categorical):
                choices[j] = p.cardinality
            elif isinstance(p, (Float, Int)) and p.cardinality is not None and not p.log:
                levels[j] = p.cardinality
        self.box = Box(len(self.names), levels, choices)

    def encode(self, trials: list[FrozenTrial]) -> np.ndarray:
        if not trials:
            return np.zeros((0, len(self.names)))
        return np.column_stack([model_column(self.space[n], [t.params[n] for t in trials]) for n in self.names])

    def decode(self, x: np.ndarray) -> dict[str, Any]:
        coords = dict(zip(self.names, x))
        out: dict[str, Any] = {}
        for name, p in self.space.items():
            if name not in coords:
                out[name] = p.default
            elif isinstance(p, Categorical):
                out[name] = p.choices[round(float(coords[name]))]
            else:
                out[name] = p.decode([float(coords[name])])
        return out


@register_strategy("gp")
class GaussianProcess(Strategy):
    """Bayesian optimization with a Gaussian process (BoTorch), for single or several objectives."""

    def __init__(self, n_startup_trials: int = 10, acquisition: str = "logei", exploration: float | None = None,
                 noisy: bool = False, refit_growth: float = 0.0, startup: str = "random", n_raw: int = 1024,
                 n_restarts: int = 8, constraint_attr: str | None = "constraint", warp_outputs: bool = True,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        self.n_startup_trials = check_int("gp", "n_startup_trials", n_startup_trials, 2, error=StrategyError)
        self.acquisition = check_choice("gp", "acquisition", acquisition, ACQUISITIONS, error=StrategyError)
        self.exploration = check_number("gp", "exploration", exploration, 0, optional=True, error=StrategyError)
        self.noisy = check_bool("gp", "noisy", noisy, error=StrategyError)
        self.refit_growth = check_number("gp", "refit_growth", refit_growth, 0, error=StrategyError)
        self.startup = check_choice("gp", "startup", startup, STARTUPS, error=StrategyError)
        self.n_raw = check_int("gp", "n_raw", n_raw, 16, error=StrategyError)
        self.n_restarts = check_int("gp", "n_restarts", n_restarts, 1, error=StrategyError)
        self.constraint_attr = constraint_attr
        self.warp_outputs = check_bool("gp", "warp_outputs", warp_outputs, error=StrategyError)

    def check_space(self, space: Space) -> None:
        check_params("gp", space, (Float, Int, Categorical, Fixed), "'tpe', 'random' or an evolution strategy")
        conditional = [name for name, p in space.items() if p.when]
        if conditional:
            raise StrategyError(f"strategy 'gp' cannot search conditional parameter {conditional[0]!r}; "
                                "use 'tpe' (it models parameters group by group)")

    def check_state(self, study: StudyView, state: Any) -> dict[str, Any]:
        """The last fit: ``n``, the complete trials it saw, and ``params``, the model's hyperparameters by name
        (a model of other shapes, e.g. one more constraint output, fits afresh)."""
        state = state_dict(state, "state", ("n", "params"))
        state_int(state["n"], "n")
        for name, value in state_dict(state["params"], "params").items():
            state_array(value, f"params[{name!r}]")
        return state

    # --- ask -------------------------------------------------------------------------------
    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        import torch

        space = study.space
        rng = self.rng_for(study, trial)
        seed = self.seed if self.seed is not None else study.seed
        history = read_history(study, trial, self.constraint_attr)
        encoding = _Encoding(space)
        if len(history.complete) < self.n_startup_trials or not encoding.names:
            return space.sample(rng) if self.startup == "random" else startup_params(space, seed, trial.number, rng)
        threads = torch.get_num_threads()
        try:  # the matrices are small: one thread is faster than several fighting over shared cores
            torch.set_num_threads(1)
            with torch.random.fork_rng(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.manual_seed(int(rng.integers(2**31 - 1)))
                x = self._propose(study, history, encoding, rng)
        finally:
            torch.set_num_threads(threads)
        return encoding.decode(x)

    def _propose(self, study: StudyView, history: History, encoding: _Encoding, rng: np.random.Generator) -> np.ndarray:
        from hypernas.strategy._bo.acquisition import maximize

        X = encoding.encode(history.complete)
        objectives = -history.values  # BoTorch maximizes
        if self.warp_outputs and objectives.shape[1] == 1:
            objectives = warp(objectives[:, 0]).reshape(-1, 1)
        constraints = self._constraint_matrix(history)
        targets = np.concatenate([objectives, constraints], axis=1)
        model = self._model(study, X, targets, encoding)
        pending = encoding.encode(history.running)
        acquisition = self._acquisition(model, X, objectives, constraints, pending, rng)
        best = quality_order(history.values, history.violations)[:5]
        return maximize(acquisition, encoding.box, rng, X[best], n_raw=self.n_raw, n_restarts=self.n_restarts)

    def _constraint_matrix(self, history: History) -> np.ndarray:
        rows = [constraint_values(t, self.constraint_attr) for t in history.complete]
        width = max((len(r) for r in rows), default=0)
        out = np.zeros((len(rows), width))
        for i, r in enumerate(rows):
            out[i, :len(r)] = np.clip(r, -1e12, 1e12)
        return out

    # --- the model -------------------------------------------------------------------------
    def _model(self, study: StudyView, X: np.ndarray, targets: np.ndarray, encoding: _Encoding) -> Any:
        import torch
        from botorch.models import MixedSingleTaskGP
        from botorch.optim.fit import fit_gpytorch_mll_scipy
        from gpytorch.constraints import GreaterThan
        from gpytorch.mlls import ExactMarginalLogLikelihood

        from hypernas.strategy._bo.gp_fit import fit_matern
        from hypernas.strategy._bo.gp_model import MIN_NOISE, matern_model

        train_X = torch.as_tensor(X, dtype=torch.float64)
        train_Y = torch.as_tensor(targets, dtype=torch.float64)
        cat_dims = sorted(encoding.box.choices)
        if cat_dims:
            model = MixedSingleTaskGP(train_X, train_Y, cat_dims=cat_dims)
            noise = model.likelihood.noise_covar
            noise.register_constraint("raw_noise", GreaterThan(MIN_NOISE, transform=None,
                                                               initial_value=noise.raw_noise_constraint.initial_value))
        else:
            model = matern_model(train_X, train_Y)
        n = len(X)
        state = self.load_state(study)  # the last fit: {"n": complete trials, "params": hyperparameters}
        loaded = False
        if state is not None:
            try:
                model.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state["params"].items()},
                                      strict=False)
                loaded = True
            except RuntimeError:  # hyperparameters of another shape
                loaded = False
        grown = loaded and state is not None and n != state["n"] and n >= math.ceil(state["n"] * (1.0 + self.refit_growth))
        if not loaded or grown:
            maxiter = _WARM_FIT_ITERS if loaded else _COLD_FIT_ITERS  # warm-started fits need few iterations
            if cat_dims:
                with contextlib.suppress(Exception):  # a failed fit keeps the (warm-started or default) hyperparameters
                    fit_gpytorch_mll_scipy(ExactMarginalLogLikelihood(model.likelihood, model).train(),
                                           options={"maxiter": maxiter})
            else:
                fit_matern(model, maxiter)
            if all(bool(torch.isfinite(v).all()) for _, v in model.named_parameters()):  # a diverged fit is not kept
                self.save_state(study, {"n": n, "params": {k: v.detach().tolist() for k, v in model.named_parameters()}})
        model.eval()
        return model

    # --- the acquisition -------------------------------------------------------------------
    def _acquisition(self, model: Any, X: np.ndarray, objectives: np.ndarray, constraints: np.ndarray,
                     pending: np.ndarray, rng: np.random.Generator) -> Any:
        import torch
        from botorch.acquisition import (
            ExpectedImprovement,
            LogExpectedImprovement,
            UpperConfidenceBound,
            qExpectedImprovement,
            qLogExpectedImprovement,
            qUpperConfidenceBound,
        )
        from botorch.acquisition.objective import GenericMCObjective
        from botorch.sampling import SobolQMCNormalSampler

        n_obj, n_con = objectives.shape[1], constraints.shape[1]
        train_X = torch.as_tensor(X, dtype=torch.float64)
        X_pending = torch.as_tensor(pending, dtype=torch.float64) if len(pending) else None
        sampler = SobolQMCNormalSampler(sample_shape=torch.Size([128]), seed=int(rng.integers(2**31 - 1)))
        con_fns: list[Any] | None = [(lambda Z, i=n_obj + k: Z[..., i]) for k in range(n_con)] or None
        if n_obj > 1:
            return self._hypervolume(model, train_X, objectives, X_pending, sampler, con_fns)
        if self.acquisition == "ucb":
            if con_fns:
                raise StrategyError("gp: acquisition 'ucb' cannot weigh constraints; use 'logei' or 'ei', "
                                    "or set constraint_attr=None")
            beta = 2.0 if self.exploration is None else self.exploration
            if X_pending is None:
                return UpperConfidenceBound(model, beta=beta)
            return qUpperConfidenceBound(model, beta=beta, sampler=sampler, X_pending=X_pending)
        best_f = self._incumbent(model, train_X, objectives[:, 0], constraints)
        if self.exploration:
            best_f += self.exploration * float(np.std(objectives[:, 0]))
        if X_pending is None and con_fns is None:
            from hypernas.strategy._bo.posterior import FastImprovement, supports
            if supports(model):
                return FastImprovement(model, best_f, log=self.acquisition == "logei")
            analytic = LogExpectedImprovement if self.acquisition == "logei" else ExpectedImprovement
            return analytic(model, best_f=best_f)
        objective = GenericMCObjective(_first_output) if n_con else None
        mc = qLogExpectedImprovement if self.acquisition == "logei" else qExpectedImprovement
        return mc(model, best_f=best_f, sampler=sampler, objective=objective, X_pending=X_pending, constraints=con_fns)

    def _incumbent(self, model: Any, train_X: Any, y: np.ndarray, constraints: np.ndarray) -> float:
        """The best feasible value so far: observed, or the model's mean there when noisy."""
        import torch

        feasible = (constraints <= 0).all(axis=1)
        if not feasible.any():
            return float(y.min())
        if not self.noisy:
            return float(y[feasible].max())
        with torch.no_grad():
            mean = model.posterior(train_X).mean[..., 0].numpy()
        return float(mean[feasible].max())

    def _hypervolume(self, model: Any, train_X: Any, objectives: np.ndarray, X_pending: Any, sampler: Any,
                     con_fns: Any) -> Any:
        import torch
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
        from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective

        low, high = objectives.min(axis=0), objectives.max(axis=0)
        ref_point = torch.as_tensor(low - 0.1 * np.maximum(high - low, 1e-9), dtype=torch.float64)
        return qLogNoisyExpectedHypervolumeImprovement(
            model, ref_point=ref_point, X_baseline=train_X, sampler=sampler,
            objective=IdentityMCMultiOutputObjective(outcomes=list(range(objectives.shape[1]))),
            constraints=con_fns, X_pending=X_pending, prune_baseline=True, cache_root=False)


def _first_output(Z: Any, X: Any = None) -> Any:
    """The objective among the model's outputs (the others are constraints)."""
    return Z[..., 0]
