import numpy as np
import torch

from hypernas.strategy._bo.acquisition import Box, maximize


def test_continuous_dimensions_are_polished_again_after_integers_snap():
    # the relaxed optimum has x0 = 0.3, between the levels 0.25 and 0.5; with x0 = 0.25 the best x1 is 0.725
    def acquisition(x: torch.Tensor) -> torch.Tensor:
        x0, x1 = x[..., 0, 0], x[..., 0, 1]
        return -(x0 - 0.3) ** 2 - (x1 - 0.6 - 0.5 * x0) ** 2

    box = Box(2, levels={0: 5})
    best = maximize(acquisition, box, np.random.default_rng(0), np.zeros((0, 2)), n_raw=64, n_restarts=2)
    assert best[0] == 0.25
    assert abs(best[1] - 0.725) < 1e-4
