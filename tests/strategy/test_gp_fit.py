"""The lean MAP fit of the gp strategy's Matérn model against GPyTorch's marginal likelihood."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("botorch")


def _data(n: int = 30, d: int = 3, outputs: int = 1) -> tuple:
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(n, d, generator=gen, dtype=torch.float64)
    Y = torch.stack([torch.sin((3 + k) * X).sum(-1) for k in range(outputs)], -1)
    return X, Y + 0.01 * torch.randn(Y.shape, generator=gen, dtype=torch.float64)


def _gpytorch_objective(model, theta: np.ndarray) -> float:
    """``-n`` times GPyTorch's ExactMarginalLogLikelihood (with priors) at ``theta`` (log hyperparameters)."""
    from gpytorch.mlls import ExactMarginalLogLikelihood

    d = model.train_inputs[0].shape[-1]
    model.covar_module.base_kernel.lengthscale = torch.tensor(np.exp(theta[:d]))
    model.covar_module.outputscale = float(np.exp(theta[d]))
    model.likelihood.noise = float(np.exp(theta[d + 1]))
    model.train()
    with torch.no_grad():
        mll = ExactMarginalLogLikelihood(model.likelihood, model)
        return -float(mll(model(*model.train_inputs), model.train_targets)) * len(model.train_targets)


def test_the_objective_is_gpytorchs_up_to_a_constant_and_its_gradient_is_exact() -> None:
    from scipy.optimize import approx_fprime

    from hypernas.strategy._bo.gp_fit import negative_log_posterior, squared_differences
    from hypernas.strategy._bo.gp_model import matern_model

    X, Y = _data()
    model = matern_model(X, Y)
    y = model.train_targets.numpy()
    sq_diff = squared_differences(X.numpy())
    thetas = [np.array([0.1, -0.5, 0.3, 0.2, -3.0]), np.array([-1.0, 0.5, 1.0, -0.4, -8.0])]
    ours = [negative_log_posterior(t, sq_diff, y)[0] * len(y) for t in thetas]
    theirs = [_gpytorch_objective(model, t) for t in thetas]
    assert ours[0] - ours[1] == pytest.approx(theirs[0] - theirs[1], rel=1e-5)  # our jitter: 1e-8
    for t in thetas:
        numeric = approx_fprime(t, lambda u: negative_log_posterior(u, sq_diff, y)[0], 1e-7)
        np.testing.assert_allclose(negative_log_posterior(t, sq_diff, y)[1], numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("outputs", [1, 2])
def test_the_lean_fit_reaches_gpytorchs_optimum(outputs: int) -> None:
    from botorch.optim.fit import fit_gpytorch_mll_scipy
    from gpytorch.mlls import ExactMarginalLogLikelihood

    from hypernas.strategy._bo.gp_fit import fit_matern
    from hypernas.strategy._bo.gp_model import matern_model

    X, Y = _data(outputs=outputs)
    lean, reference = matern_model(X, Y), matern_model(X, Y)
    fit_matern(lean, maxiter=200)
    fit_gpytorch_mll_scipy(ExactMarginalLogLikelihood(reference.likelihood, reference).train(),
                           options={"maxiter": 200})
    for model in (lean, reference):
        model.train()
    mll_lean = ExactMarginalLogLikelihood(lean.likelihood, lean)
    mll_reference = ExactMarginalLogLikelihood(reference.likelihood, reference)
    with torch.no_grad():
        ours = mll_lean(lean(*lean.train_inputs), lean.train_targets).sum()
        theirs = mll_reference(reference(*reference.train_inputs), reference.train_targets).sum()
    assert float(ours) >= float(theirs) - 1e-3
    assert lean.covar_module.base_kernel.lengthscale.shape == reference.covar_module.base_kernel.lengthscale.shape
