"""Gaussian-process math shared by the Matérn MAP fit, the lean posterior and the gene GP.

NumPy and SciPy's LAPACK only (no torch, GPyTorch or BoTorch), so the gene GP of the NAS predictor
stays light. :func:`matern52` uses arithmetic operators only and serves torch tensors (with
autograd) as well as NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def cholesky(K: np.ndarray) -> np.ndarray | None:
    """The lower Cholesky factor of the symmetric ``K`` (LAPACK ``dpotrf``, what ``cho_factor`` runs; the
    upper triangle keeps ``K``'s values), or None when ``K`` is not positive definite. ``K`` may be overwritten."""
    from scipy.linalg.lapack import dpotrf  # scipy loads when a GP fits, not on import hypernas

    chol, info = dpotrf(K, lower=1, clean=0, overwrite_a=1)
    return chol if info == 0 else None


def half_log_det(chol: np.ndarray) -> Any:
    """``0.5 log |K|`` from the Cholesky factor of ``K``."""
    return np.log(np.diag(chol)).sum()


def matern52(r5: Any, scale: Any, exp: Callable[[Any], Any] = np.exp) -> Any:
    """The Matérn-5/2 covariance ``scale (1 + s + s^2 / 3) e^-s`` at ``s = sqrt(5) r`` (``r5``).

    ``exp`` is the exponential of the array type (``torch.exp`` for tensors, whose gradients then
    flow through the formula).
    """
    return scale * (1.0 + r5 + r5 * r5 / 3.0) * exp(-r5)
