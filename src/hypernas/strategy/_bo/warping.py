"""Output warping for surrogate models: compress a heavy tail of bad values before a model is fitted.

Objective values often have a long tail of very bad results (Rosenbrock's valley walls, diverged
trainings, NAS cells that do not learn); a model fitted to them spends its flexibility on the tail
and sees the good region as flat. A Yeo-Johnson power transform, its exponent fitted by maximum
likelihood (as HEBO does), makes the values closer to normal. Here the exponent is held to
[1, 2] for values where larger is better: the transform never stretches the bad tail, and at most
compresses it logarithmically, so repeats of a good value cannot push the fit to an extreme.
"""

from __future__ import annotations

import math

import numpy as np

MIN_EXPONENT, MAX_EXPONENT = 1.0, 2.0


def warp(values: np.ndarray) -> np.ndarray:
    """Monotone increasing transform of ``values`` (larger is better), standardized then power-transformed."""
    from scipy.optimize import minimize_scalar  # scipy's optimizers and statistics take ~0.5 s to import:
    from scipy.stats import yeojohnson  # only when a GP runs, not on import hypernas

    values = np.asarray(values, dtype=float)
    spread = float(values.std())
    if len(values) < 3 or spread <= 0.0 or not np.isfinite(spread):
        return values.copy()
    z = (values - values.mean()) / spread
    log_jacobian = float((np.sign(z) * np.log1p(np.abs(z))).sum())

    def negative_log_likelihood(exponent: float) -> float:  # scipy's yeojohnson_llf, without its overhead
        return 0.5 * len(z) * math.log(yeojohnson(z, lmbda=exponent).var()) - (exponent - 1.0) * log_jacobian

    fitted = minimize_scalar(negative_log_likelihood, bounds=(MIN_EXPONENT, MAX_EXPONENT), method="bounded",
                             options={"xatol": 1e-3})
    return yeojohnson(z, lmbda=float(fitted.x))
