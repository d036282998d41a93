"""A lean maximum-a-posteriori fit of ``gp_model``'s Matérn model, cheap enough to run at every trial.

It maximizes the same objective as GPyTorch's ``ExactMarginalLogLikelihood`` with the model's
priors, but writes the Matérn-5/2 covariance directly from precomputed per-dimension squared
differences, with its analytic gradient, and lets L-BFGS-B work on log hyperparameters, which is
far cheaper than going through GPyTorch's modules and autograd. Each output column is fitted on its own (the batched model has independent hyperparameters per output).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy.linalg.lapack import dpotri, dpotrs
from scipy.optimize import minimize

from hypernas.strategy._bo.gp_math import cholesky, half_log_det, matern52
from hypernas.strategy._bo.gp_model import LENGTHSCALE_RATE, MIN_NOISE, NOISE_PRIOR, OUTPUTSCALE_PRIOR

_LOG_BOUND = 7.0  # lengthscales and output scales within e^-7..e^7 of the unit box / unit variance
_MAX_LOG_NOISE = 1.0
_GTOL = 1e-3  # on the per-point loss: the log-hyperparameters end within ~1e-3 of the optimum


def negative_log_posterior(theta: np.ndarray, sq_diff: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """``-(log N(y | 0, K) + log priors) / n`` and its gradient, at ``theta = [log lengthscales..., log outputscale,
    log noise]``; ``sq_diff``: (d, n, n) squared input differences per dimension, ``y``: (n,) standardized outputs.

    Constant terms of the normalized priors are left out (they do not move the optimum). The gradient
    is the textbook ``0.5 tr((K^-1 - a a^T) dK)`` with ``a = K^-1 y``; infinite when K is not positive definite.
    """
    d, n = sq_diff.shape[0], y.shape[0]
    lengthscale, outputscale, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    inv_sq = 1.0 / (lengthscale * lengthscale)
    r5 = np.sqrt((5.0 * inv_sq) @ sq_diff.reshape(d, -1)).reshape(n, n)  # sqrt(5) r, r the scaled distance
    K = matern52(r5, outputscale)
    K_noisy = K.copy()
    K_noisy.flat[::n + 1] += noise + 1e-8 * max(outputscale, 1.0)
    chol = cholesky(K_noisy)
    if chol is None:
        return math.inf, np.zeros_like(theta)
    alpha, _ = dpotrs(chol, y, lower=1)
    log_likelihood = -0.5 * y @ alpha - half_log_det(chol) - 0.5 * n * math.log(2 * math.pi)
    shape, rate = OUTPUTSCALE_PRIOR
    noise_shape, noise_rate = NOISE_PRIOR
    log_prior = (-LENGTHSCALE_RATE * (lengthscale ** 2 + inv_sq).sum()
                 + (shape - 1.0) * theta[d] - rate * outputscale
                 + (noise_shape - 1.0) * theta[d + 1] - noise_rate * noise)
    inverse, _ = dpotri(chol, lower=1, overwrite_c=1)  # lower triangle of K^-1
    W = np.tril(inverse)
    W += np.tril(inverse, -1).T
    W -= np.outer(alpha, alpha)  # W = K^-1 - a a^T = -2 d(log lik)/dK
    slope = W * ((5.0 / 3.0) * outputscale * (1.0 + r5) * np.exp(-r5))  # dK/d log l_j = that * sq_diff_j / l_j^2
    grad = np.empty_like(theta)
    grad[:d] = 0.5 * (sq_diff.reshape(d, -1) @ slope.reshape(-1)) * inv_sq
    grad[:d] += LENGTHSCALE_RATE * 2.0 * (lengthscale ** 2 - inv_sq)
    grad[d] = 0.5 * (W * K).sum() - ((shape - 1.0) - rate * outputscale)
    grad[d + 1] = 0.5 * noise * np.trace(W) - ((noise_shape - 1.0) - noise_rate * noise)
    return -(log_likelihood + log_prior) / n, grad / n


def squared_differences(X: np.ndarray) -> np.ndarray:
    """Per-dimension squared differences between the rows of ``X``: shape (d, n, n), as the objective takes them."""
    return (X.T[:, :, None] - X.T[:, None, :]) ** 2


def fit_column(X: np.ndarray, y: np.ndarray, start: np.ndarray, maxiter: int) -> np.ndarray:
    """The MAP ``[log lengthscales..., log outputscale, log noise]`` of one output column, from ``start``."""
    sq_diff = squared_differences(X)
    d = X.shape[1]
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * (d + 1) + [(math.log(MIN_NOISE), _MAX_LOG_NOISE)]
    start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])

    def objective(t: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = negative_log_posterior(t, sq_diff, y)
        return (value, grad) if math.isfinite(value) else (1e10, np.zeros_like(t))

    # L-BFGS-B only moves on accepted (decreasing) steps and restores the last one when a line search
    # fails, so its answer is never worse than the start
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": maxiter, "gtol": _GTOL})
    return np.asarray(result.x, dtype=float)


def fit_matern(model: Any, maxiter: int) -> None:
    """Fit a model made by ``_gp_model.matern_model`` in place, starting from its current hyperparameters."""
    with torch.no_grad():
        X = model.train_inputs[0].detach()
        Y = model.train_targets.detach()  # standardized; (n,) or (outputs, n)
        kernel = model.covar_module
        lengthscale = kernel.base_kernel.lengthscale.detach().reshape(-1, X.shape[-1])
        outputscale = kernel.outputscale.detach().reshape(-1)
        noise = model.likelihood.noise.detach().reshape(-1)
    columns = Y.reshape(-1, Y.shape[-1]).numpy()
    inputs = X.reshape(-1, X.shape[-2], X.shape[-1])[0].numpy()
    fitted = []
    for j, y in enumerate(columns):
        start = np.concatenate([lengthscale[j].log().numpy(), [math.log(outputscale[j]), math.log(noise[j])]])
        fitted.append(fit_column(inputs, y, start, maxiter))
    theta = torch.as_tensor(np.array(fitted), dtype=X.dtype).exp()
    d = inputs.shape[1]
    kernel.base_kernel.lengthscale = theta[:, :d].reshape(kernel.base_kernel.lengthscale.shape)
    kernel.outputscale = theta[:, d].reshape(kernel.outputscale.shape)
    model.likelihood.noise = theta[:, d + 1].clamp_min(MIN_NOISE).reshape(model.likelihood.noise.shape)
