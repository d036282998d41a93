"""A Gaussian process over genes, the predictor's default model.

A configuration becomes a row of genes: one per token of an architecture genotype (e.g. the
operation on each NB201 edge) and one per categorical parameter, compared by equality, and one
per dimension of every other parameter, compared by squared distance in its [0, 1] scale. The
kernel is ``s2 * exp(-sum_g w_g d_g)``: for categorical genes an exponentiated Hamming distance
with a weight per gene (so the model learns which edges matter), for numeric ones an RBF. The
weights, the scale ``s2`` and the noise are fitted by maximum a posteriori (log-normal priors on
weights and scale) with L-BFGS-B and an analytic gradient.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hypernas.space import Categorical, Fixed, Space, Tokenizable
from hypernas.strategy._bo.gp_math import cholesky, half_log_det

INACTIVE = -1.0  # the gene of a parameter that a condition switched off
_PRIOR_WEIGHT, _PRIOR_SD = np.log(0.5), 2.0  # log w ~ N(log 0.5, 2^2); log s2 ~ N(0, 2^2)
_BOUNDS_WEIGHT, _BOUNDS_SCALE, _BOUNDS_NOISE = (-5.0, 3.0), (-3.0, 3.0), (-9.0, 1.0)
_JITTER = 1e-6


def _genes_of(p: Any) -> tuple[int, bool]:
    """How many genes a parameter contributes, and whether they are categorical."""
    if isinstance(p, Tokenizable):
        return len(p.token_choices()), True
    if isinstance(p, Categorical):
        return 1, True
    return (0 if isinstance(p, Fixed) else p.n_dims), False


def gene_layout(space: Space) -> np.ndarray:
    """Which genes of :func:`genes` are categorical (True) or numeric (False)."""
    return np.asarray([kind for _, p in space.items() for kind in [_genes_of(p)[1]] * _genes_of(p)[0]], dtype=bool)


def genes(space: Space, params: Mapping[str, Any]) -> np.ndarray:
    """The genes of one configuration (inactive parameters hold ``INACTIVE``)."""
    out: list[float] = []
    for name, p in space.items():
        width, _ = _genes_of(p)
        if not width:
            continue
        if name not in params:
            out.extend([INACTIVE] * width)
        elif isinstance(p, Tokenizable):
            out.extend(float(t) for t in p.to_tokens(params[name]))
        elif isinstance(p, Categorical):
            out.append(float(p.index(params[name])))
        else:
            out.extend(p.encode(params[name]))
    return np.asarray(out, dtype=float)


def _gene_distance(a: np.ndarray, b: np.ndarray, categorical: bool) -> np.ndarray:
    """One gene's distances between the values ``a`` (column) and ``b`` (row): a mismatch, or a squared gap."""
    diff = a[:, None] - b[None, :]
    return (diff != 0).astype(float) if categorical else diff * diff


def gene_differences(a: np.ndarray, b: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Per-gene distances between the rows of ``a`` and ``b``: shape (len(a), len(b), genes)."""
    return np.stack([_gene_distance(a[:, g], b[:, g], c) for g, c in enumerate(categorical)], axis=-1)


def weighted_distance(a: np.ndarray, b: np.ndarray, categorical: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_g w_g d_g`` between the rows of ``a`` and ``b``, one gene at a time (no 3-d array)."""
    out = np.zeros((len(a), len(b)))
    for g, (c, w) in enumerate(zip(categorical, weights)):
        out += w * _gene_distance(a[:, g], b[:, g], c)
    return out


class GeneGP:
    """The GP described above; ``fit``, optionally ``believe``, then ``predict`` or ``draw``."""

    def __init__(self, categorical: np.ndarray) -> None:
        self.categorical = np.asarray(categorical, dtype=bool)

    def _initial(self) -> np.ndarray:
        g = len(self.categorical)
        return np.concatenate([np.full(g, _PRIOR_WEIGHT), [0.0, np.log(0.1)]])

    def negative_log_posterior(self, theta: np.ndarray, d: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray]:
        """The objective of the fit and its gradient in the log parameters ``theta = (log w, log s2, log noise)``."""
        from scipy.linalg import cho_solve  # scipy loads when a predictor fits, not on import hypernas

        g = len(self.categorical)
        w, s2, noise = np.exp(theta[:g]), np.exp(theta[g]), np.exp(theta[g + 1])
        k_signal = s2 * np.exp(-(d @ w))
        k = k_signal + (noise + _JITTER) * np.eye(len(z))
        chol = cholesky(k)
        if chol is None:
            return 1e10, np.zeros_like(theta)
        k_inv = cho_solve((chol, True), np.eye(len(z)))
        alpha = k_inv @ z
        outer = k_inv - np.outer(alpha, alpha)  # d(nll)/dK = outer / 2
        weighted = outer * k_signal
        prior_w, prior_s = (theta[:g] - _PRIOR_WEIGHT) / _PRIOR_SD**2, theta[g] / _PRIOR_SD**2
        value = 0.5 * z @ alpha + half_log_det(chol) + 0.5 * (
            ((theta[:g] - _PRIOR_WEIGHT) ** 2).sum() + theta[g] ** 2) / _PRIOR_SD**2
        grad = np.empty_like(theta)
        grad[:g] = -0.5 * w * np.einsum("ij,ijk->k", weighted, d) + prior_w
        grad[g] = 0.5 * weighted.sum() + prior_s
        grad[g + 1] = 0.5 * noise * np.trace(outer)
        return float(value), grad

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        from scipy.optimize import minimize  # ~0.3 s to import: only when a predictor fits, not on import hypernas

        self.x = np.asarray(x, dtype=float)
        self.mu, self.sd = float(np.mean(y)), float(np.std(y) or 1.0)
        z = (np.asarray(y, dtype=float) - self.mu) / self.sd
        d = gene_differences(self.x, self.x, self.categorical)
        g = len(self.categorical)
        bounds = [_BOUNDS_WEIGHT] * g + [_BOUNDS_SCALE, _BOUNDS_NOISE]
        result = minimize(self.negative_log_posterior, self._initial(), args=(d, z), jac=True, method="L-BFGS-B",
                          bounds=bounds)
        theta = result.x
        self.weights, self.scale, self.noise = np.exp(theta[:g]), float(np.exp(theta[g])), float(np.exp(theta[g + 1]))
        self._condition(d @ self.weights, z)

    def _condition(self, distance: np.ndarray, z: np.ndarray) -> None:
        """Condition on the standardized targets ``z`` of the training rows, whose weighted distances are ``distance``."""
        from scipy.linalg import cho_solve

        k = self.scale * np.exp(-distance) + (self.noise + _JITTER) * np.eye(len(z))
        chol = cholesky(k)
        if chol is None:
            raise np.linalg.LinAlgError("gene GP: the fitted covariance is not positive definite")
        self.z = z
        self.factor = (chol, True)
        self.alpha = cho_solve(self.factor, z)

    def believe(self, x: np.ndarray) -> None:
        """Observe the posterior mean at the rows of ``x`` (pending configurations), hyperparameters kept.

        This is the kriging believer of batch Bayesian optimization: the mean stays, the uncertainty
        near ``x`` shrinks, so an acquisition stops favouring what pending trials are evaluating.
        """
        mean, _ = self._standardized(x)
        self.x = np.vstack([self.x, x])
        self._condition(weighted_distance(self.x, self.x, self.categorical, self.weights), np.concatenate([self.z, mean]))

    def _standardized(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the standardized objective at the rows of ``x``."""
        from scipy.linalg import cho_solve

        k = self.scale * np.exp(-weighted_distance(x, self.x, self.categorical, self.weights))
        var = self.scale - (k * cho_solve(self.factor, k.T).T).sum(1)
        return k @ self.alpha, np.sqrt(np.clip(var, 1e-12, None))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self._standardized(x)
        return mean * self.sd + self.mu, std * self.sd

    def draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A Thompson draw: an independent sample of the posterior at every row of ``x``."""
        mean, std = self.predict(x)
        return mean + std * rng.standard_normal(len(mean))

