"""Predictor-guided evolution (NPENAS / BANANAS-like): a model of accuracy decides what to train next.

After ``n_initial`` random configurations, every ask fits an accuracy predictor on the history and
scores candidates with it: in a finite space of at most ``whole_space_limit`` configurations (such
as NB201) every unseen one, otherwise mutants of the best ``n_parents`` configurations plus a few
random samples. Only the most promising candidate is evaluated, by expected improvement over the
best reward (default), an upper confidence bound ``mean + kappa * std`` (``"ucb"``) or a Thompson
draw (``"thompson"``). Proposals come in batches of ``batch_size``, of which a ``local_share`` are
the incumbent's neighbours with the best predicted mean.

When progress stalls (``patience`` finished trials without a new best; 0 turns this off) the
incumbent's unseen neighbours are swept in the order of the predicted mean (local search, first
improvement), so a stalled run ends at a local optimum of its search signal.

A cheap ``signal`` (a :class:`~hypernas.strategy.signal.CheapSignal` such as a zero-cost proxy: a score of a
configuration that costs far less than a trial) helps in two ways, after Abdelfattah et al. (ICLR 2021):
*warm-up* (``warmup_pool > 0``): the first ``n_initial`` trials are the best-scored unseen configurations of
``warmup_pool`` random ones instead of random ones; *move proposal* (``signal_rank > 0``): before the predictor
ranks the candidates, only the ``signal_rank`` best-scored of them are kept. Scores are computed once per
configuration; the signal itself is never saved with the study's state, and the strategy's config names it by
its own config (``{type: zero_cost, proxy: synflow, ...}``), from which a resumed study rebuilds it.

Predictors: ``"gp"`` (default: a Gaussian process over genes, ``_bo.gene_gp``, with a learned weight
per architecture token or categorical choice and an RBF on numbers) or ``"mlp"`` (an ensemble of
small networks on the space's ``features``, e.g. the NB201 path encoding; the ensemble's spread is
the uncertainty). docs/benchmarks.md has how the defaults compare on NAS-Bench-201.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Space
from hypernas.strategy._bo.gene_gp import GeneGP, gene_layout, genes
from hypernas.strategy._nas.candidates import check_weights, features, nearest, scored, seen_keys, unseen_sample
from hypernas.strategy.base import (
    BadState,
    Strategy,
    StudyView,
    state_dict,
    state_ints,
    state_list,
    state_params,
)
from hypernas.strategy.registry import register_strategy
from hypernas.strategy.signal import CheapSignal, SignalScores, check_signal, signal_config
from hypernas.validate import check_choice, check_int, check_number

_MAX_NEIGHBORS = 256
_WARMUP = 0x5157  # the purpose of the warm-up pool's generator (apart from every trial's own)
_WARMUP_TRIES = 20  # random draws per pool member before a small space's pool stays smaller
ACQUISITIONS = ("ei", "ucb", "thompson")
MODELS = ("gp", "mlp")
# (space, model) -> every configuration, the model's rows for them, their keys
_WHOLE_SPACES: dict[tuple[str, str], tuple[list[dict[str, Any]], np.ndarray, list[str]]] = {}


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """Expected improvement over ``best`` of Gaussian predictions (``std`` floored to keep it finite)."""
    from scipy.stats import norm  # scipy.stats takes ~0.4 s to import: only when a predictor runs

    std = np.maximum(std, 1e-9)
    gap = (mean - best) / std
    return std * (gap * norm.cdf(gap) + norm.pdf(gap))


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
        self.x, self.y = x, y
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
            w1, _, w2, _, w3, _ = self.params
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

    def believe(self, x: np.ndarray) -> None:
        """Train afresh on the data and the ensemble's mean at the rows of ``x`` (pending configurations): the
        kriging believer, so the members agree there and their spread stops favouring those points."""
        mean, _ = self.predict(x)
        self.fit(np.concatenate([self.x, x]), np.concatenate([self.y, mean]))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = self._forward(x)[2] * self.sd + self.mu
        return preds.mean(axis=0), preds.std(axis=0)

    def draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A Thompson draw: the predictions of one member of the ensemble, chosen at random."""
        return self._forward(x)[2][int(rng.integers(self.size))] * self.sd + self.mu


@register_strategy("predictor")
class PredictorGuidedEvolution(Strategy):
    """Mutate the best, rank the mutants with a fitted accuracy predictor, evaluate the most promising."""

    def __init__(self, model: str = "gp", n_initial: int = 20, n_parents: int = 3, n_mutations: int = 100,
                 n_random: int = 20, kappa: float = 0.5, batch_size: int = 1, ensemble_size: int = 5, hidden: int = 32,
                 local_share: float = 0.0, population_size: int = 0, sample_size: int = 5,
                 whole_space_limit: int = 20000, patience: int = 0, acquisition: str = "ei",
                 weights: Sequence[float] | None = None,
                 signal: CheapSignal | Callable[[dict[str, Any]], float] | None = None, warmup_pool: int = 0,
                 signal_rank: int = 0, seed: int | None = None) -> None:
        super().__init__(seed)
        owner, error = "predictor", StrategyError
        self.model = check_choice(owner, "model", model, MODELS, error=error)
        self.n_initial = check_int(owner, "n_initial", n_initial, 2, error=error)
        self.n_parents = check_int(owner, "n_parents", n_parents, 1, error=error)
        self.n_mutations = check_int(owner, "n_mutations", n_mutations, 0, error=error)
        self.n_random = check_int(owner, "n_random", n_random, 0, error=error)
        self.kappa = check_number(owner, "kappa", kappa, 0, error=error)
        self.batch_size = check_int(owner, "batch_size", batch_size, 1, error=error)
        self.ensemble_size = check_int(owner, "ensemble_size", ensemble_size, 1, error=error)
        self.hidden = check_int(owner, "hidden", hidden, 1, error=error)
        self.local_share = check_number(owner, "local_share", local_share, 0, 1, error=error)
        self.population_size = check_int(owner, "population_size", population_size, 0, error=error)
        self.sample_size = check_int(owner, "sample_size", sample_size, 1, error=error)
        self.whole_space_limit = check_int(owner, "whole_space_limit", whole_space_limit, 0, error=error)
        self.patience = check_int(owner, "patience", patience, 0, error=error)
        self.acquisition = check_choice(owner, "acquisition", acquisition, ACQUISITIONS, error=error)
        self.weights = check_weights(owner, weights)
        self.signal = check_signal(owner, signal)
        self.warmup_pool = check_int(owner, "warmup_pool", warmup_pool, 0, error=error)
        self.signal_rank = check_int(owner, "signal_rank", signal_rank, 0, error=error)
        uses = [f"{name} {value}" for name, value in (("warmup_pool", self.warmup_pool),
                                                      ("signal_rank", self.signal_rank)) if value]
        if uses and self.signal is None:
            raise StrategyError(f"{owner}: {uses[0]} needs a signal (e.g. {{type: zero_cost, proxy: synflow}} or a "
                                "callable params -> float); got none")
        if self.signal is not None and not uses:
            raise StrategyError(f"{owner}: a signal is used only with warmup_pool > 0 or signal_rank > 0; both are 0")
        if 0 < self.warmup_pool < self.n_initial:
            raise StrategyError(f"{owner}: warmup_pool must be 0 (off) or at least n_initial ({self.n_initial}), "
                                f"got {self.warmup_pool}")
        self._scores = SignalScores(self.signal) if self.signal is not None else None

    def to_config(self) -> dict[str, Any]:
        """The options, the signal by its own config (a plain callable only by its name: resuming needs it again)."""
        return {**super().to_config(), "signal": signal_config(self.signal)}

    def check_space(self, space: Space) -> None:
        """The signal's own check of the space, when it has one (a proxy refuses parameters its network lacks)."""
        check = getattr(self.signal, "check_space", None)
        if callable(check):
            check(space)

    def _predictor(self, space: Space, rng: np.random.Generator) -> GeneGP | _MLPEnsemble:
        seed = int(rng.integers(2**31 - 1))
        return GeneGP(gene_layout(space)) if self.model == "gp" else _MLPEnsemble(seed, self.ensemble_size, self.hidden)

    def _rows(self, space: Space, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The model's inputs: genes for the GP, features (e.g. the NB201 path encoding) for the networks."""
        encode = genes if self.model == "gp" else features
        return np.stack([encode(space, c) for c in configs])

    def _whole_space(self, space: Space) -> tuple[list[dict[str, Any]], np.ndarray, list[str]] | None:
        """Every configuration of a small finite space with its features (cached), else ``None``."""
        size, widest = 1, 1
        for _, p in space.items():
            card = p.cardinality or self.whole_space_limit + 1
            size, widest = size * card, max(widest, card)
            if size > self.whole_space_limit:
                return None
        key = (space.to_json(), self.model)
        if key not in _WHOLE_SPACES:
            grid = space.grid(max(2, widest))
            _WHOLE_SPACES.clear()  # keep one space: the features of 15,625 NB201 cells take ~14 MB
            _WHOLE_SPACES[key] = (grid, self._rows(space, grid), [space.key(p) for p in grid])
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

    def check_state(self, study: StudyView, state: Any) -> dict[str, Any]:
        """``queue``, the rest of the last batch; ``sweep``, empty or ``{"center": key of the swept incumbent,
        "order": its neighbours still to try}``; ``local``, the numbers of the trials proposed by sweeps."""
        space = study.space
        state = state_dict(state, "state", ("queue", "sweep", "local"))
        for i, params in enumerate(state_list(state["queue"], "queue")):
            state_params(space, params, f"queue[{i}]")
        if state["sweep"] != {}:
            sweep = state_dict(state["sweep"], "sweep", ("center", "order"))
            if not isinstance(sweep["center"], str):
                raise BadState.expected("sweep.center", "the key of a configuration (a string)", sweep["center"])
            for i, params in enumerate(state_list(sweep["order"], "sweep.order")):
                state_params(space, params, f"sweep.order[{i}]")
        state_ints(state["local"], "local")
        return state

    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        space = study.space
        rng = self.rng_for(study, trial)
        seen = seen_keys(study)
        done = scored(study, self.weights)
        if trial.number < self.n_initial or len(done) < 2:
            return self._warmup(study, rng, seen) if self.warmup_pool else unseen_sample(space, rng, seen)
        proposal = self._guided(study, trial, rng, seen, done)
        parent = nearest(space, proposal, done)  # the evaluated configuration it derives most from
        if parent is not None:
            self.derived_from(trial, parent)
        return proposal

    def _guided(self, study: StudyView, trial: FrozenTrial, rng: np.random.Generator, seen: set[str],
                done: list[tuple[FrozenTrial, float]]) -> dict[str, Any]:
        """The predictor's proposal once enough trials are scored."""
        space = study.space
        ranked = sorted(done, key=lambda x: -x[1])
        state = self.load_state(study) or {"queue": [], "sweep": {}, "local": []}  # see check_state
        if self.patience:
            near = self._sweep(study, trial, rng, seen, done, ranked[0][0], state)
            if near is not None:
                return near
        queue = [p for p in state["queue"] if space.key(p) not in seen]
        if queue:
            state["queue"] = queue[1:]
            self.save_state(study, state)
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
            pool_x = self._rows(space, pool) if pool else np.zeros((0, 0))
        if not pool:
            return unseen_sample(space, rng, seen)
        if self.signal_rank and len(pool) > self.signal_rank:
            assert self._scores is not None
            pool_keys = [whole[2][i] for i in keep] if whole is not None else [space.key(p) for p in pool]
            best = sorted(self._scores.best(pool, pool_keys, self.signal_rank))
            pool, pool_x = [pool[i] for i in best], pool_x[best]
        pending = [t.params for t in study.get_trials((TrialState.RUNNING,)) if t.params and t.number != trial.number]
        batch = self._batch(space, pool, pool_x, self._fit(space, done, rng, pending), rng, dict(ranked[0][0].params),
                            ranked[0][1])
        state["queue"] = batch[1:]
        self.save_state(study, state)
        return dict(batch[0])

    def _warmup(self, study: StudyView, rng: np.random.Generator, seen: set[str]) -> dict[str, Any]:
        """The best-scored unseen configuration of the warm-up pool: ``warmup_pool`` distinct random ones, drawn
        from the seed alone so that every initial trial picks from the same pool (an unseen random one when the
        whole pool has been tried)."""
        space = study.space
        seed = self.seed if self.seed is not None else study.seed
        draw = np.random.default_rng([int(seed), 0, _WARMUP]) if seed is not None else rng
        pool: dict[str, dict[str, Any]] = {}
        for _ in range(self.warmup_pool * _WARMUP_TRIES):
            params = space.sample(draw)
            pool.setdefault(space.key(params), params)
            if len(pool) == self.warmup_pool:
                break
        keys, configs = list(pool), list(pool.values())
        assert self._scores is not None
        for i in self._scores.best(configs, keys, len(configs)):
            if keys[i] not in seen:
                return dict(configs[i])
        return unseen_sample(space, rng, seen)

    def _fit(self, space: Space, done: list[tuple[FrozenTrial, float]], rng: np.random.Generator,
             pending: Sequence[Mapping[str, Any]] = ()) -> GeneGP | _MLPEnsemble:
        """The predictor fitted on the finished trials' features and rewards, believing its own mean at the
        ``pending`` configurations (the kriging believer: parallel asks spread out)."""
        model = self._predictor(space, rng)
        model.fit(self._rows(space, [t.params for t, _ in done]), np.asarray([r for _, r in done], dtype=float))
        if pending:
            model.believe(self._rows(space, pending))
        return model

    def _sweep(self, study: StudyView, trial: FrozenTrial, rng: np.random.Generator, seen: set[str],
               done: list[tuple[FrozenTrial, float]], best: FrozenTrial, state: dict[str, Any]) -> dict[str, Any] | None:
        """The incumbent's next unseen neighbour by predicted mean once progress has stalled, else ``None``.

        A sweep starts after ``patience`` finished trials without a new best, and at once when the
        incumbent itself came from a sweep (move on improvement); it ends when the neighbourhood is exhausted.
        The sweep's progress is saved in ``state``.
        """
        space = study.space
        local = state["local"]
        stalled = sum(1 for t, _ in done if t.number > best.number) >= self.patience
        if not stalled and best.number not in local:
            return None
        center = space.key(best.params)
        sweep = state["sweep"]
        if sweep.get("center") == center:
            order = [p for p in sweep["order"] if space.key(p) not in seen]
        else:
            near = [n for n in space.neighbors(best.params) if space.key(n) not in seen]
            if len(near) > _MAX_NEIGHBORS:
                near = [near[int(i)] for i in rng.choice(len(near), _MAX_NEIGHBORS, replace=False)]
            order = []
            if near:
                mean, _ = self._fit(space, done, rng).predict(self._rows(space, near))
                order = [near[int(i)] for i in np.argsort(-mean, kind="stable")]
                state["queue"] = []  # the predictor's pending batch is stale after a sweep
        state["sweep"] = {"center": center, "order": order[1:]}
        if order:
            state["local"] = [*local, trial.number]
        self.save_state(study, state)
        return dict(order[0]) if order else None

    def _batch(self, space: Space, pool: list[dict[str, Any]], pool_x: np.ndarray, model: GeneGP | _MLPEnsemble,
               rng: np.random.Generator, incumbent: dict[str, Any], best: float) -> list[dict[str, Any]]:
        """The next ``batch_size`` proposals: a ``local_share`` of them the incumbent's neighbours with the
        best predicted mean, the rest by the acquisition (the pool's best expected improvements over the
        best reward ``best`` or upper confidence bounds, or the best of a fresh Thompson draw each)."""
        mean, std = model.predict(pool_x)
        chosen: list[int] = []
        n_local = int(np.ceil(self.batch_size * self.local_share))
        if n_local:
            near = {space.key(n) for n in space.neighbors(incumbent)}
            for i in np.argsort(-mean, kind="stable"):
                if len(chosen) == n_local:
                    break
                if space.key(pool[int(i)]) in near:
                    chosen.append(int(i))
        n_local = len(chosen)
        if self.acquisition != "thompson":
            score = mean + self.kappa * std if self.acquisition == "ucb" else expected_improvement(mean, std, best)
            ranked = [int(i) for i in np.argsort(-score, kind="stable")]
            chosen += [i for i in ranked if i not in chosen][: self.batch_size - n_local]
        else:
            while len(chosen) < min(self.batch_size, len(pool)):
                draw = model.draw(pool_x, rng)
                draw[chosen] = -np.inf
                chosen.append(int(np.argmax(draw)))
        return [pool[i] for i in chosen]
