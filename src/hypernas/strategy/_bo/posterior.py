"""A lean (log) expected improvement for the common case: one objective, no constraints, nothing pending.

BoTorch's posterior goes through GPyTorch's lazy tensors, a fixed Python cost per call that adds
up over the few hundred calls of one acquisition search. Here the fitted model's hyperparameters are read once and the posterior of an RBF or Matérn-5/2
GP (optionally with an output scale, constant or zero mean) is computed directly from a cached
Cholesky factor, in the model's standardized output scale.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from hypernas.strategy._bo.gp_math import matern52

_MIN_VAR = 1e-12
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_FAR = 1e4  # below -_FAR standard deviations the improvement's log is held flat (it is then below -5e7)


def log_h(u: torch.Tensor) -> torch.Tensor:
    """``log(phi(u) + u * Phi(u))``, the log of expected improvement per standard deviation, stable for u << 0.

    For u > -1 directly; below, ``Phi(u) / phi(u)`` is written with the scaled complementary error
    function, so ``log phi(u) + log1p(u * Phi(u) / phi(u))`` needs no tiny probabilities.
    """
    near = u.clamp_min(-1.0)
    far = u.clamp(-_FAR, -1.0)
    direct = torch.log(torch.exp(-0.5 * near * near - _LOG_SQRT_2PI) + near * torch.special.ndtr(near))
    mills = math.sqrt(math.pi / 2) * torch.special.erfcx(-far / math.sqrt(2))
    tail = -0.5 * far * far - _LOG_SQRT_2PI + torch.log1p(far * mills)
    return torch.where(u > -1.0, direct, tail)


def h(u: torch.Tensor) -> torch.Tensor:
    """``phi(u) + u * Phi(u)``: expected improvement per standard deviation."""
    return torch.exp(-0.5 * u * u - _LOG_SQRT_2PI) + u * torch.special.ndtr(u)


def _cholesky(K: torch.Tensor, variance: float) -> torch.Tensor:
    """The Cholesky factor of ``K`` plus 1e-8 of ``variance``, the jitter grown tenfold (up to 1e-3) until it succeeds.

    Near-duplicate points (snapped integers, a converged search) leave ``K`` positive definite only
    up to rounding; this is GPyTorch's own remedy, scaled to the kernel's variance.
    """
    from linear_operator.utils.cholesky import psd_safe_cholesky

    scale = max(variance, 1.0)
    return psd_safe_cholesky(K + 1e-8 * scale * torch.eye(len(K), dtype=K.dtype), jitter=1e-7 * scale, max_tries=5)


class FastImprovement:
    """(Log) expected improvement over ``best_f`` of a fitted single-output ``SingleTaskGP``."""

    def __init__(self, model: Any, best_f: float, log: bool = True) -> None:
        from gpytorch.kernels import MaternKernel, ScaleKernel

        X = model.train_inputs[0]
        y = model.train_targets  # standardized when the model has an outcome transform
        kernel = model.covar_module
        scaled = isinstance(kernel, ScaleKernel)
        self.variance = kernel.outputscale.detach().reshape(()) if scaled else torch.ones((), dtype=X.dtype)
        base = kernel.base_kernel if scaled else kernel
        self.matern = isinstance(base, MaternKernel)
        lengthscale = base.lengthscale.detach().reshape(-1)
        self.X = X.detach() / lengthscale
        self.lengthscale = lengthscale
        constant = getattr(model.mean_module, "constant", None)
        self.constant = constant.detach().reshape(()) if constant is not None else torch.zeros((), dtype=X.dtype)
        noise = model.likelihood.noise.detach().reshape(())
        K = self._kernel(self.X, self.X) + noise * torch.eye(len(X), dtype=X.dtype)
        self.L = _cholesky(K, float(self.variance))
        self.alpha = torch.cholesky_solve((y.detach() - self.constant).unsqueeze(-1), self.L)
        transform = getattr(model, "outcome_transform", None)
        if transform is not None:
            mean, std = transform.means.reshape(()), transform.stdvs.reshape(())
            best_f = (best_f - float(mean)) / float(std)
        self.best_f = best_f
        self.log = log

    def _kernel(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """Prior covariance of points already divided by the lengthscales."""
        # distances from differences, not |a|^2 - 2ab + |b|^2: that cancels badly when a lengthscale is
        # tiny; the gradient at a zero distance is zero
        distance = torch.cdist(A, B, compute_mode="donot_use_mm_for_euclid_dist")
        if not self.matern:
            return self.variance * torch.exp(-0.5 * distance * distance)
        r5 = math.sqrt(5.0) * distance
        return matern52(r5, self.variance, torch.exp)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (n, 1, d) -> (n,) acquisition values."""
        z = x.reshape(x.shape[0], -1) / self.lengthscale
        k = self._kernel(z, self.X)
        mean = self.constant + (k @ self.alpha).squeeze(-1)
        v = torch.linalg.solve_triangular(self.L, k.T, upper=False)
        sigma = (self.variance - (v * v).sum(0)).clamp_min(_MIN_VAR).sqrt()
        u = (mean - self.best_f) / sigma
        return log_h(u) + sigma.log() if self.log else sigma * h(u)


def supports(model: Any) -> bool:
    """Whether ``model`` is a plain single-output GP this shortcut reproduces: an RBF or Matérn-5/2 kernel,
    optionally scaled, a constant or zero mean, Gaussian noise and no input transform."""
    from gpytorch.kernels import MaternKernel, RBFKernel, ScaleKernel
    from gpytorch.likelihoods import GaussianLikelihood
    from gpytorch.means import ConstantMean, ZeroMean

    kernel = model.covar_module
    base = kernel.base_kernel if isinstance(kernel, ScaleKernel) else kernel
    stationary = isinstance(base, RBFKernel) or (isinstance(base, MaternKernel) and base.nu == 2.5)
    return (model.num_outputs == 1 and stationary and isinstance(model.mean_module, (ConstantMean, ZeroMean))
            and type(model.likelihood) is GaussianLikelihood and getattr(model, "input_transform", None) is None)
