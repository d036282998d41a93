"""The GP model of ``gp`` for spaces without categorical parameters: Matérn-5/2 with priors that keep it calm.

A zero-mean GP on standardized outputs, with an ARD Matérn-5/2 kernel times an output scale. The
lengthscale prior ``log p(l) = -0.1 (l^2 + 1/l^2)`` favours lengthscales of the order of the unit
box and penalizes very short ones, so a few close observations do not make the model jagged; the
output scale has a Gamma(2, 1) prior and the noise a Gamma(1.1, 30) prior above a floor of 1e-8
(low, so that on a deterministic objective the model can still resolve the optimum's basin).
"""

from __future__ import annotations

from typing import Any

import torch
from gpytorch.constraints import GreaterThan
from gpytorch.kernels import MaternKernel, ScaleKernel
from gpytorch.likelihoods import GaussianLikelihood
from gpytorch.means import ZeroMean
from gpytorch.priors import GammaPrior, Prior
from torch.distributions import constraints
from torch.nn import Module

MIN_NOISE = 1e-8
LENGTHSCALE_RATE = 0.1
OUTPUTSCALE_PRIOR = (2.0, 1.0)  # Gamma(concentration, rate)
NOISE_PRIOR = (1.1, 30.0)


class BalancedLengthscalePrior(Prior):
    """``log p(l) = -rate * (l^2 + l^-2)`` (unnormalized): lengthscales near 1, symmetric in log l."""

    arg_constraints: dict[str, Any] = {}
    support = constraints.positive

    def __init__(self, rate: float = LENGTHSCALE_RATE) -> None:
        Module.__init__(self)
        torch.distributions.Distribution.__init__(self, validate_args=False)
        self.rate = rate
        self._transform = None

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return -self.rate * (x * x + 1.0 / (x * x))


def matern_model(train_X: torch.Tensor, train_Y: torch.Tensor) -> Any:
    """A ``SingleTaskGP`` (one batch member per output column) with the kernel and priors above."""
    from botorch.models import SingleTaskGP

    batch = torch.Size([train_Y.shape[-1]]) if train_Y.shape[-1] > 1 else torch.Size()
    kernel = ScaleKernel(MaternKernel(nu=2.5, ard_num_dims=train_X.shape[-1], batch_shape=batch,
                                      lengthscale_prior=BalancedLengthscalePrior()),
                         batch_shape=batch, outputscale_prior=GammaPrior(*OUTPUTSCALE_PRIOR))
    likelihood = GaussianLikelihood(noise_prior=GammaPrior(*NOISE_PRIOR), batch_shape=batch,
                                    noise_constraint=GreaterThan(MIN_NOISE, transform=None, initial_value=0.1))
    kernel.outputscale = 1.0
    kernel.base_kernel.lengthscale = 1.0
    return SingleTaskGP(train_X, train_Y, covar_module=kernel, mean_module=ZeroMean(batch_shape=batch),
                        likelihood=likelihood)
