"""Predictor-guided evolution (NPENAS / BANANAS-like).

After ``n_initial`` random configurations, every ask fits an accuracy predictor on the history
(features from ``space``: the NB201 path encoding where a parameter offers one) and uses it to rank
many candidates made by mutating the best configurations so far (every neighbour of the top
``n_parents`` plus random mutations and a few random samples; in a finite space of at most
``whole_space_limit`` configurations, such as NB201, every unseen one); only the most promising candidate,
by an upper confidence bound ``mean + kappa * std`` of the predictor (``acquisition="thompson"``:
by the best of a Thompson draw, the predictions of one random ensemble member, or for the GP an
independent posterior sample per candidate), is evaluated. Proposals come
in batches of ``batch_size`` (queued with the study, so the predictor is refitted every
``batch_size`` asks), of which a ``local_share`` are the incumbent's neighbours with the best
predicted mean: the search keeps checking around the best architecture found, like local search,
while the rest of the batch follows the predictor's bound.

When progress stalls (``patience`` finished trials without a new best; 0 turns this off), the
incumbent's unseen neighbours are swept in the order of the predictor's predicted mean (one fit
per sweep); a neighbour that improves becomes the new incumbent and its neighbourhood is swept at
once (local search, first improvement). When the incumbent's neighbourhood is exhausted the
predictor's proposals resume, so a run that stalls ends at a local optimum of its search signal.

Predictors: ``"mlp"`` (default: an ensemble of small neural networks; the spread of the ensemble
is the uncertainty) or ``"gp"`` (a Gaussian process with an RBF kernel whose scale and noise are
chosen by marginal likelihood). The defaults were tuned on NAS-Bench-201 (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial
from hypernas.space import Space
from hypernas.strategy.base import Strategy, StudyView
from hypernas.strategy._candidates import check_weights, features, scored, seen_keys, unseen_sample
from hypernas.strategy.registry import register_strategy

_MAX_NEIGHBORS = 256
ACQUISITIONS = ("ucb", "thompson")
_QUEUE_KEY = "predictor:queue"
_SWEEP_KEY = "predictor:sweep"  # {"center": key of the swept incumbent, "order": its neighbours still to try}
_LOCAL_KEY = "predictor:local"  # numbers of the trials proposed by sweeps
_WHOLE_SPACES: dict[str, tuple[list[dict[str, Any]], np.ndarray, list[str]]] = {}  # space -> grid, features, keys


def _positive_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise StrategyError(f"predictor: {name} must be an integer >= {low}, got {value!r}")
    return value


def _sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` and ``b``."""
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


class _GPPredictor:
    """A Gaussian process with an RBF kernel; scale and noise chosen by marginal likelihood on a small grid."""

    SCALES = (1.0, 2.0, 4.0, 8.0, 16.0)
    NOISES = (0.01, 0.05, 0.2)

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = x
        self.mu, self.sd = float(y.mean()), float(y.std() or 1.0)
        z = (y - self.mu) / self.sd
        sq = _sq_distances(x, x)
        best = -np.inf
        for scale in self.SCALES:
            k = np.exp(-sq / (2 * scale**2))
            for noise in self.NOISES:
                chol = np.linalg.cholesky(k + noise * np.eye(len(x)))
                alpha = solve_triangular(chol.T, solve_triangular(chol, z, lower=True), lower=False)
                evidence = -0.5 * z @ alpha - np.log(np.diag(chol)).sum()
                if evidence > best:
                    best, self.scale, self.chol, self.alpha = evidence, scale, chol, alpha

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sq = _sq_distances(x, self.x)
        k = np.exp(-sq / (2 * self.scale**2))
        v = solve_triangular(self.chol, k.T, lower=True)
        var = np.clip(1.0 - (v**2).sum(0), 1e-12, None)
        return k @ self.alpha * self.sd + self.mu, np.sqrt(var) * self.sd

    def draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A Thompson draw: an independent sample of the posterior at every row of ``x``."""
        mean, std = self.predict(x)
        return mean + std * rng.standard_normal(len(mean))


class _MLPEnsemble:
    """Independently initialised two-layer ReLU networks trained together (full batch, Adam) in NumPy."""

    def __init__(self, seed: int, size: int, hidden: int, epochs: int = 200, lr: float = 0.01,
                 decay: float = 1e-3) -> None:
        self.rng = np.random.default_rng(seed)
        self.size, self.hidden, self.epochs, self.lr, self.decay = size, hidden, epochs, lr, decay

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w1, b1, w2, b2, w3, b3 = self.params
        h1 = np.maximum(x @ w1 + b1, 0.0)
        h2 = np.maximum(h1 @ w2 + b2, 0.0)
        return h1, h2, (h2 @ w3[:, :, None])[:, :, 0] + b3

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        self.mu, self.sd = float(y.mean()), float(y.std() or 1.0)
        z = (y - self.mu) / self.sd
        e, d, h = self.size, x.shape[1], self.hidden
        self.params = [self.rng.normal(0, np.sqrt(2 / d), (e, d, h)), np.zeros((e, 1, h)),
                       self.rng.normal(0, np.sqrt(2 / h), (e, h, h)), np.zeros((e, 1, h)),
                       self.rng.normal(0, np.sqrt(1 / h), (e, h)), np.zeros((e, 1))]
        m = [np.zeros_like(p) for p in self.params]
        v = [np.zeros_like(p) for p in self.params]
        n = len(x)
        for step in range(1, self.epochs + 1):
            w1, b1, w2, b2, w3, b3 = self.params
            h1, h2, out = self._forward(x)
            g_out = 2.0 * (out - z) / n  # (e, n)
            g_w3 = (h2.transpose(0, 2, 1) @ g_out[:, :, None])[:, :, 0]
            g_b3 = g_out.sum(axis=1, keepdims=True)
            g_h2 = g_out[:, :, None] * w3[:, None, :] * (h2 > 0)
            g_w2 = h1.transpose(0, 2, 1) @ g_h2
            g_b2 = g_h2.sum(axis=1, keepdims=True)
            g_h1 = (g_h2 @ w2.transpose(0, 2, 1)) * (h1 > 0)
            g_w1 = x.T @ g_h1
            g_b1 = g_h1.sum(axis=1, keepdims=True)
            grads = [g_w1 + self.decay * w1, g_b1, g_w2 + self.decay * w2, g_b2, g_w3 + self.decay * w3, g_b3]
            for k, g in enumerate(grads):
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                self.params[k] -= self.lr * (m[k] / (1 - 0.9**step)) / (np.sqrt(v[k] / (1 - 0.999**step)) + 1e-8)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = self._forward(x)[2] * self.sd + self.mu
        return preds.mean(axis=0), preds.std(axis=0)

    def draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A Thompson draw: the predictions of one member of the ensemble, chosen at random."""
        return self._forward(x)[2][int(rng.integers(self.size))] * self.sd + self.mu


@register_strategy("predictor")
class PredictorGuidedEvolution(Strategy):
    """Mutate the best, rank the mutants with a fitted accuracy predictor, evaluate the most promising."""

    def __init__(self, model: str = "mlp", n_initial: int = 10, n_parents: int = 3, n_mutations: int = 100,
                 n_random: int = 20, kappa: float = 0.5, batch_size: int = 2, ensemble_size: int = 5, hidden: int = 32,
                 local_share: float = 0.0, population_size: int = 0, sample_size: int = 5, whole_space_limit: int = 0,
                 patience: int = 0, acquisition: str = "ucb", weights: Sequence[float] | None = None,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        if model not in ("gp", "mlp"):
            raise StrategyError(f"predictor: model must be 'gp' or 'mlp', got {model!r}")
        self.model = model
        self.n_initial = _positive_int("n_initial", n_initial, 2)
        self.n_parents = _positive_int("n_parents", n_parents)
        self.n_mutations = _positive_int("n_mutations", n_mutations, 0)
        self.n_random = _positive_int("n_random", n_random, 0)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.whole_space_limit = _positive_int("whole_space_limit", whole_space_limit, 0)
        self.ensemble_size = _positive_int("ensemble_size", ensemble_size)
        self.hidden = _positive_int("hidden", hidden)
        try:
            self.kappa = float(kappa)
        except (TypeError, ValueError):
            raise StrategyError(f"predictor: kappa must be a number >= 0, got {kappa!r}") from None
        if not self.kappa >= 0:
            raise StrategyError(f"predictor: kappa must be a number >= 0, got {kappa!r}")
        if isinstance(local_share, bool) or not isinstance(local_share, (int, float)) or not 0 <= local_share <= 1:
            raise StrategyError(f"predictor: local_share must be a number in [0, 1], got {local_share!r}")
        self.local_share = float(local_share)
        self.population_size = _positive_int("population_size", population_size, 0)
        self.sample_size = _positive_int("sample_size", sample_size)
        self.patience = _positive_int("patience", patience, 0)
        if acquisition not in ACQUISITIONS:
            raise StrategyError(f"predictor: unknown acquisition {acquisition!r}; allowed: {', '.join(ACQUISITIONS)}")
        self.acquisition = acquisition
        self.weights = check_weights("predictor", weights)

    def to_config(self) -> dict[str, Any]:
        return {**super().to_config(), "model": self.model, "n_initial": self.n_initial, "n_parents": self.n_parents,
                "n_mutations": self.n_mutations, "n_random": self.n_random, "kappa": self.kappa, "batch_size": self.batch_size,
                "local_share": self.local_share, "population_size": self.population_size,
                "sample_size": self.sample_size,
                "whole_space_limit": self.whole_space_limit, "patience": self.patience, "acquisition": self.acquisition,
                "ensemble_size": self.ensemble_size, "hidden": self.hidden,
                **({"weights": self.weights} if self.weights else {})}

    def _predictor(self, rng: np.random.Generator) -> _GPPredictor | _MLPEnsemble:
        seed = int(rng.integers(2**31 - 1))
        return _GPPredictor() if self.model == "gp" else _MLPEnsemble(seed, self.ensemble_size, self.hidden)

    def _whole_space(self, space: Space) -> tuple[list[dict[str, Any]], np.ndarray, list[str]] | None:
        """Every configuration of a small finite space with its features (cached), else ``None``."""
        size, widest = 1, 1
        for _, p in space.items():
            card = p.cardinality or self.whole_space_limit + 1
            size, widest = size * card, max(widest, card)
            if size > self.whole_space_limit:
                return None
        key = space.to_json()
        if key not in _WHOLE_SPACES:
            grid = space.grid(max(2, widest))
            _WHOLE_SPACES.clear()  # keep one space: the features of 15,625 NB201 cells take ~14 MB
            _WHOLE_SPACES[key] = (grid, np.stack([features(space, p) for p in grid]), [space.key(p) for p in grid])
        return _WHOLE_SPACES[key]

    def candidates(self, space: Space, parents: list[dict[str, Any]], rng: np.random.Generator,
                   seen: set[str]) -> list[dict[str, Any]]:
        """Unseen neighbours and mutations of ``parents`` plus random samples, without duplicates."""
        pool: dict[str, dict[str, Any]] = {}

        def add(params: dict[str, Any]) -> None:
            key = space.key(params)
            if key not in seen and key not in pool:
                pool[key] = params

        for parent in parents:
            near = space.neighbors(parent)
            if len(near) > _MAX_NEIGHBORS:
                near = [near[int(i)] for i in rng.choice(len(near), _MAX_NEIGHBORS, replace=False)]
            for n in near:
                add(n)
        for k in range(self.n_mutations):
            add(space.mutate(parents[k % len(parents)], rng, 1 + int(rng.integers(3))))
        for _ in range(self.n_random):
            add(space.sample(rng))
        return list(pool.values())

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        rng = self.rng_for(study, trial)
        seen = seen_keys(study)
        done = scored(study, self.weights)
        if trial.number < self.n_initial or len(done) < 2:
            return unseen_sample(space, rng, seen)
        ranked = sorted(done, key=lambda x: -x[1])
        if self.patience:
            near = self._sweep(study, trial, rng, seen, done, ranked[0][0])
            if near is not None:
                return near
        queue = [p for p in study.system_attrs.get(_QUEUE_KEY, []) if space.key(p) not in seen]
        if queue:
            study.set_system_attr(_QUEUE_KEY, queue[1:])
            return queue[0]
        parents = [dict(t.params) for t, _ in ranked[: self.n_parents]]
        if self.population_size:  # NPENAS: mutate the winner of a tournament in the aging population
            pop = done[-self.population_size:]
            picks = rng.choice(len(pop), size=min(self.sample_size, len(pop)), replace=False)
            winner = dict(max((pop[int(i)] for i in picks), key=lambda x: x[1])[0].params)
            parents = [winner, parents[0]] if self.local_share else [winner]
        whole = self._whole_space(space)
        if whole is not None:
            keep = [i for i, k in enumerate(whole[2]) if k not in seen]
            pool, pool_x = [whole[0][i] for i in keep], whole[1][keep]
        else:
            pool = self.candidates(space, parents, rng, seen)
            pool_x = np.stack([features(space, p) for p in pool]) if pool else np.zeros((0, 0))
        if not pool:
            return unseen_sample(space, rng, seen)
        batch = self._batch(space, pool, pool_x, self._fit(space, done, rng), rng, dict(ranked[0][0].params))
        study.set_system_attr(_QUEUE_KEY, batch[1:])
        return dict(batch[0])

    def _fit(self, space: Space, done: list[tuple[FrozenTrial, float]],
             rng: np.random.Generator) -> _GPPredictor | _MLPEnsemble:
        """The predictor fitted on the finished trials' features and rewards."""
        model = self._predictor(rng)
        model.fit(np.stack([features(space, t.params) for t, _ in done]), np.asarray([r for _, r in done], dtype=float))
        return model

    def _sweep(self, study: StudyView, trial: FrozenTrial, rng: np.random.Generator, seen: set[str],
               done: list[tuple[FrozenTrial, float]], best: FrozenTrial) -> dict[str, Any] | None:
        """The incumbent's next unseen neighbour by predicted mean once progress has stalled, else ``None``.

        A sweep starts after ``patience`` finished trials without a new best, and at once when the
        incumbent itself came from a sweep (move on improvement); it ends when the neighbourhood is exhausted.
        """
        space = study.space
        local = list(study.system_attrs.get(_LOCAL_KEY, []))
        stalled = sum(1 for t, _ in done if t.number > best.number) >= self.patience
        if not stalled and best.number not in local:
            return None
        center = space.key(best.params)
        state = study.system_attrs.get(_SWEEP_KEY) or {}
        if state.get("center") == center:
            order = [p for p in state["order"] if space.key(p) not in seen]
        else:
            near = [n for n in space.neighbors(best.params) if space.key(n) not in seen]
            if len(near) > _MAX_NEIGHBORS:
                near = [near[int(i)] for i in rng.choice(len(near), _MAX_NEIGHBORS, replace=False)]
            order = []
            if near:
                mean, _ = self._fit(space, done, rng).predict(np.stack([features(space, n) for n in near]))
                order = [near[int(i)] for i in np.argsort(-mean, kind="stable")]
                study.set_system_attr(_QUEUE_KEY, [])  # the predictor's pending batch is stale after a sweep
        study.set_system_attr(_SWEEP_KEY, {"center": center, "order": order[1:]})
        if not order:
            return None
        study.set_system_attr(_LOCAL_KEY, local + [trial.number])
        return dict(order[0])

    def _batch(self, space: Space, pool: list[dict[str, Any]], pool_x: np.ndarray, model: _GPPredictor | _MLPEnsemble,
               rng: np.random.Generator, incumbent: dict[str, Any]) -> list[dict[str, Any]]:
        """The next ``batch_size`` proposals: a ``local_share`` of them the incumbent's neighbours with the
        best predicted mean, the rest by the acquisition (the pool's best upper confidence bounds, or the
        best of a fresh Thompson draw each)."""
        mean, std = model.predict(pool_x)
        near = {space.key(n) for n in space.neighbors(incumbent)}
        local = [int(i) for i in np.argsort(-mean, kind="stable") if space.key(pool[int(i)]) in near]
        n_local = min(len(local), int(np.ceil(self.batch_size * self.local_share)))
        chosen = local[:n_local]
        if self.acquisition == "ucb":
            ranked = [int(i) for i in np.argsort(-(mean + self.kappa * std), kind="stable")]
            chosen += [i for i in ranked if i not in chosen][: self.batch_size - n_local]
        else:
            while len(chosen) < min(self.batch_size, len(pool)):
                draw = model.draw(pool_x, rng)
                draw[chosen] = -np.inf
                chosen.append(int(np.argmax(draw)))
        return [pool[i] for i in chosen]
