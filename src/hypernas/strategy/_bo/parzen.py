"""A Parzen (kernel density) estimator over mixed dimensions, vectorized with NumPy.

Dimensions live in the space's unit scale (log scales already unfolded): continuous ones use
truncated Gaussian kernels on [0, 1]; discrete ones (``k`` evenly spaced levels) use the
Gaussian mass of each level's bin; categorical ones use a kernel that puts most weight on the
observed choice. One extra "prior" component, wide and centred, keeps the estimator proper with
few observations. With several dimensions the kernels are joint (one component spans all of them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONTINUOUS, DISCRETE, CATEGORICAL = "continuous", "discrete", "categorical"


@dataclass(frozen=True)
class Dim:
    """One modelled dimension: its kind and its number of levels or choices (0 when continuous)."""

    kind: str
    size: int = 0

    @property
    def half_bin(self) -> float:
        return 0.5 / (self.size - 1) if self.kind == DISCRETE else 0.0


def _log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails."""
    from scipy.special import log_ndtr  # scipy loads when a TPE model is built, not on import hypernas

    flip = a > 0
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    la, lb = log_ndtr(a), log_ndtr(b)
    return lb + np.log1p(-np.exp(np.minimum(la - lb, -1e-300)))


class ParzenEstimator:
    """A weighted mixture of one kernel per observation plus a prior kernel.

    ``obs`` has one row per observation: unit values for numeric dimensions, choice indices for
    categorical ones. ``weights`` are the observations' relative weights.
    """

    def __init__(self, dims: list[Dim], obs: np.ndarray, weights: np.ndarray, prior_weight: float = 1.0) -> None:
        self.dims = dims
        n = len(obs)
        w = np.append(np.asarray(weights, dtype=float), prior_weight)
        self.log_weights = np.log(w / w.sum())
        self.mus: list[np.ndarray] = []
        self.sigmas: list[np.ndarray] = []
        self.cat_probs: list[np.ndarray] = []
        self.log_consts: list[np.ndarray] = []
        for j, dim in enumerate(dims):
            col = obs[:, j] if n else np.zeros(0)
            if dim.kind == CATEGORICAL:
                probs = np.full((n + 1, dim.size), prior_weight / dim.size)
                probs[np.arange(n), col.astype(int)] += 1.0
                self.cat_probs.append(probs / probs.sum(axis=1, keepdims=True))
                self.mus.append(np.zeros(0))
                self.sigmas.append(np.zeros(0))
                self.log_consts.append(np.zeros(0))
                continue
            lo, hi = -dim.half_bin, 1.0 + dim.half_bin
            mus = np.append(col, 0.5)
            sigma = np.clip(self._neighbour_bandwidth(col, lo, hi), (hi - lo) / min(100.0, 2.0 + n), hi - lo)
            sigmas = np.append(sigma, hi - lo)
            log_norm = _log_mass((lo - mus) / sigmas, (hi - mus) / sigmas)
            if dim.kind == CONTINUOUS:
                log_norm = log_norm + np.log(sigmas) + 0.5 * np.log(2 * np.pi)
            self.mus.append(mus)
            self.sigmas.append(sigmas)
            self.log_consts.append(-log_norm)
            self.cat_probs.append(np.zeros((0, 0)))

    @staticmethod
    def _neighbour_bandwidth(col: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Each kernel as wide as the larger gap to its neighbours (the outermost: their inner gap)."""
        if col.size == 0:
            return col
        order = np.argsort(col, kind="stable")
        s = np.concatenate(([lo], col[order], [hi]))
        gaps = np.diff(s)
        width = np.maximum(gaps[:-1], gaps[1:])
        if col.size >= 2:
            width[0], width[-1] = gaps[1], gaps[-2]
        out = np.empty_like(col)
        out[order] = width
        return out

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws from the mixture, one row each."""
        comp = rng.choice(len(self.log_weights), size=size, p=np.exp(self.log_weights))
        out = np.empty((size, len(self.dims)))
        for j, dim in enumerate(self.dims):
            if dim.kind == CATEGORICAL:
                cum = np.cumsum(self.cat_probs[j][comp], axis=1)
                u = rng.random(size)[:, None]
                out[:, j] = np.minimum((u > cum).sum(axis=1), dim.size - 1)
                continue
            from scipy.special import ndtr, ndtri

            lo, hi = -dim.half_bin, 1.0 + dim.half_bin
            mu, sd = self.mus[j][comp], self.sigmas[j][comp]
            pa, pb = ndtr((lo - mu) / sd), ndtr((hi - mu) / sd)
            x = mu + sd * ndtri(pa + rng.random(size) * (pb - pa))
            x = np.clip(np.nan_to_num(x, nan=0.5), lo, hi)
            if dim.kind == DISCRETE:
                x = np.clip(np.round(x * (dim.size - 1)) / (dim.size - 1), 0.0, 1.0)
            out[:, j] = x
        return out

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density (log mass for discrete and categorical dimensions) of each row of ``x``."""
        total = np.broadcast_to(self.log_weights, (len(x), len(self.log_weights))).copy()
        for j, dim in enumerate(self.dims):
            if dim.kind == CATEGORICAL:
                total += np.log(self.cat_probs[j][:, x[:, j].astype(int)].T)
                continue
            mu, sd = self.mus[j][None, :], self.sigmas[j][None, :]
            xj = x[:, j][:, None]
            total += self.log_consts[j]
            if dim.kind == DISCRETE:
                h = dim.half_bin
                total += _log_mass((xj - h - mu) / sd, (xj + h - mu) / sd)
            else:
                z = (xj - mu) / sd
                total -= 0.5 * z * z
        top = total.max(axis=1)
        return top + np.log(np.exp(total - top[:, None]).sum(axis=1))
