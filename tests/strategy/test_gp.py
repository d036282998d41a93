"""GP-based BO: few-trial convergence, mixed spaces, pending asks, noise, several objectives, constraints, resume."""

from __future__ import annotations

import pytest

import hypernas as hn
from tests.strategy.hpo_cases import SPHERE_SPACE, assert_resumes_exactly, distinct, front_hypervolume, sphere, two_objectives

FAST = {"type": "gp", "n_startup_trials": 5, "n_raw": 256, "n_restarts": 2, "refit_growth": 0.3}


def test_gp_gets_close_to_the_optimum_in_few_trials() -> None:
    study = hn.create_study(strategy=FAST, seed=0, space=SPHERE_SPACE)
    study.optimize(sphere, n_trials=15)
    rnd = hn.create_study(strategy="random", seed=0, space=SPHERE_SPACE)
    rnd.optimize(sphere, n_trials=15)
    assert study.best_value < 0.05
    assert study.best_value < rnd.best_value


def test_gp_searches_mixed_integer_and_categorical_spaces() -> None:
    space = hn.Space({"x": hn.Float(-2, 2), "n": hn.Int(0, 8), "act": hn.Categorical(["relu", "tanh", "gelu"]),
                      "tag": hn.Fixed("v")})

    def objective(trial: hn.Trial) -> float:
        p = trial.params
        return (p["x"] - 0.5) ** 2 + 0.1 * (p["n"] - 6) ** 2 + {"relu": 1.0, "tanh": 0.0, "gelu": 0.5}[p["act"]]

    study = hn.create_study(strategy={**FAST, "acquisition": "ei"}, seed=1, space=space)
    study.optimize(objective, n_trials=15)
    assert study.best_params["act"] == "tanh"
    assert isinstance(study.best_params["n"], int)
    assert study.best_value < 0.5


@pytest.mark.parametrize("acquisition", ["logei", "ucb"])
def test_pending_trials_spread_parallel_asks(acquisition: str) -> None:
    study = hn.create_study(strategy={**FAST, "acquisition": acquisition, "exploration": 1.0}, seed=2,
                            space=SPHERE_SPACE)
    study.optimize(sphere, n_trials=6)
    asked = [study.ask() for _ in range(4)]
    assert distinct([t.params for t in asked]) == 4


def test_same_seed_and_history_give_the_same_proposal_also_after_reload(tmp_path) -> None:
    assert_resumes_exactly(FAST, 8, seed=5, db=tmp_path / "gp.db")


def test_noisy_objectives_are_modelled() -> None:
    import numpy as np

    noise = np.random.default_rng(0)
    study = hn.create_study(strategy={**FAST, "noisy": True}, seed=3, space=SPHERE_SPACE)
    study.optimize(lambda t: sphere(t) + noise.normal(0, 0.05), n_trials=15)
    best = min(study.get_trials((hn.TrialState.COMPLETE,)), key=lambda t: sphere(t))
    assert sphere(best) < 0.2


def test_several_objectives_use_hypervolume_improvement() -> None:
    study = hn.create_study(strategy=FAST, directions=["minimize", "minimize"], seed=4, space=SPHERE_SPACE)
    study.optimize(two_objectives, n_trials=14)
    rnd = hn.create_study(strategy="random", directions=["minimize", "minimize"], seed=4, space=SPHERE_SPACE)
    rnd.optimize(two_objectives, n_trials=14)
    assert len(study.best_trials) >= 3
    assert front_hypervolume(study) > front_hypervolume(rnd)


def test_constraints_are_modelled() -> None:
    def objective(trial: hn.Trial) -> float:
        trial.set_user_attr("constraint", 1.0 - trial.params["x"])  # feasible when x >= 1
        return sphere(trial)

    study = hn.create_study(strategy=FAST, seed=6, space=SPHERE_SPACE)
    study.optimize(objective, n_trials=15)
    late = study.trials[5:]
    assert sum(t.user_attrs["constraint"] <= 0 for t in late) >= 6
    feasible = [t.value for t in study.trials if t.user_attrs["constraint"] <= 0]
    assert min(feasible) < 0.5  # optimum 0.25 at (1, -0.5)


def test_gp_errors_name_the_alternatives() -> None:
    with pytest.raises(hn.StrategyError, match=r"'gp' cannot search conditional parameter 'beta'; use 'tpe'"):
        hn.create_study(strategy="gp", space=hn.Space({"opt": hn.Categorical(["a", "b"]),
                                                       "beta": hn.Float(0, 1, when={"opt": "b"})}))
    with pytest.raises(hn.StrategyError, match=r"gp: acquisition must be one of 'logei', 'ei', 'ucb', got 'pi'"):
        hn.make_strategy({"type": "gp", "acquisition": "pi"})
    with pytest.raises(hn.StrategyError, match=r"gp: startup must be one of 'random', 'sobol', got 'lhs'"):
        hn.make_strategy({"type": "gp", "startup": "lhs"})
    with pytest.raises(hn.StrategyError, match=r"warp_outputs must be true or false, got 'yes'"):
        hn.make_strategy({"type": "gp", "warp_outputs": "yes"})
    study = hn.create_study(strategy={**FAST, "acquisition": "ucb"}, seed=0, space=SPHERE_SPACE)
    for _ in range(5):
        t = study.ask()
        t.set_user_attr("constraint", -1.0)
        study.tell(t, sphere(t))
    with pytest.raises(hn.StrategyError, match=r"'ucb' cannot weigh constraints; use 'logei' or 'ei'"):
        study.ask()


@pytest.mark.parametrize("kernel", ["rbf", "matern"])
def test_the_lean_log_ei_matches_botorch_up_to_the_output_scale(kernel: str) -> None:
    import torch
    from botorch.acquisition import LogExpectedImprovement
    from botorch.models import SingleTaskGP

    from hypernas.strategy._bo.gp_model import matern_model
    from hypernas.strategy._bo.posterior import FastImprovement, supports

    gen = torch.Generator().manual_seed(0)
    X = torch.rand(20, 3, generator=gen, dtype=torch.float64)
    Y = 4.0 + 3.0 * torch.sin(3 * X).sum(-1, keepdim=True)
    model = (SingleTaskGP(X, Y) if kernel == "rbf" else matern_model(X, Y)).eval()
    if kernel == "matern":  # away from the initial values, so that every hyperparameter is exercised
        model.covar_module.outputscale = 1.7
        model.covar_module.base_kernel.lengthscale = torch.tensor([[0.3, 0.8, 1.5]], dtype=torch.float64)
        model.likelihood.noise = 1e-3
    assert supports(model)
    x = torch.cat([torch.rand(9, 1, 3, generator=gen, dtype=torch.float64), X[:2].unsqueeze(1)])
    best = float(Y.max())
    ours = FastImprovement(model, best)(x)
    theirs = LogExpectedImprovement(model, best_f=best)(x)
    offset = float(model.outcome_transform.stdvs.log().reshape(()))  # BoTorch's EI is in the original units
    torch.testing.assert_close(ours + offset, theirs.detach(), rtol=1e-4, atol=1e-4)


def test_startup_trials_are_random_samples_or_a_sobol_design() -> None:
    def first(startup: str) -> list[dict]:
        study = hn.create_study(strategy={**FAST, "startup": startup}, seed=4, space=SPHERE_SPACE)
        return [study.ask().params for _ in range(4)]

    random_rows, sobol_rows = first("random"), first("sobol")
    assert random_rows == first("random") and sobol_rows == first("sobol")
    assert random_rows != sobol_rows


def test_perturbed_candidates_are_reflected_off_the_box_faces_not_piled_on_them() -> None:
    import numpy as np

    from hypernas.strategy._bo.acquisition import Box

    box = Box(3)
    points = box.perturb(np.random.default_rng(0), np.zeros((1, 3)), 500, 0.2)
    assert points.min() >= 0.0 and points.max() <= 1.0
    assert np.mean(points == 0.0) < 0.01


def test_improvement_is_measured_against_the_best_observation_unless_noisy() -> None:
    """A model mean below the best observation would make the incumbent look improvable (a trap)."""
    import numpy as np
    import torch
    from botorch.models import SingleTaskGP

    from hypernas.strategy.gp import GaussianProcess

    X = torch.linspace(0, 1, 8, dtype=torch.float64).unsqueeze(-1)
    y = np.sin(6 * X.numpy()[:, 0])
    model = SingleTaskGP(X, torch.as_tensor(y).unsqueeze(-1)).eval()
    no_constraints = np.zeros((8, 0))
    assert GaussianProcess()._incumbent(model, X, y, no_constraints) == y.max()
    with torch.no_grad():
        mean = model.posterior(X).mean[..., 0].numpy()
    assert GaussianProcess(noisy=True)._incumbent(model, X, y, no_constraints) == float(mean.max())


def test_the_lean_log_ei_factors_a_kernel_matrix_that_rounding_left_not_quite_positive_definite() -> None:
    import torch

    from hypernas.strategy._bo.posterior import _cholesky

    eye = torch.eye(12, dtype=torch.float64)
    K = torch.ones(12, 12, dtype=torch.float64) - 3e-7 * eye  # duplicated points: rank one, minus rounding
    assert int(torch.linalg.cholesky_ex(K + 1e-8 * eye)[1]) != 0
    L = _cholesky(K, 1.0)
    torch.testing.assert_close(L @ L.T, K, atol=1e-5, rtol=0.0)
