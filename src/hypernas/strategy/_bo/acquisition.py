"""Maximizing an acquisition function over a mixed box cheaply: screen many points, polish a few.

Points live in [0, 1]^d except categorical dimensions, which hold a choice index. Integer-like
dimensions are relaxed during the gradient polish and snapped to their levels afterwards; the
final answer is always scored at a point the space can take.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import minimize


@dataclass
class Box:
    """The search box: ``levels[j]`` > 1 snaps dimension j to that many even levels; ``choices[j]`` marks a categorical."""

    dim: int
    levels: dict[int, int] = field(default_factory=dict)
    choices: dict[int, int] = field(default_factory=dict)

    @property
    def free(self) -> list[int]:
        """The dimensions that are not categorical."""
        return [j for j in range(self.dim) if j not in self.choices]

    def snap(self, x: np.ndarray) -> np.ndarray:
        x = x.copy()
        x[..., self.free] = np.clip(x[..., self.free], 0.0, 1.0)
        for j, k in self.levels.items():
            x[..., j] = np.round(x[..., j] * (k - 1)) / (k - 1)
        for j, k in self.choices.items():
            x[..., j] = np.clip(np.round(x[..., j]), 0, k - 1)
        return x

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        x = rng.random((n, self.dim))
        for j, k in self.choices.items():
            x[:, j] = rng.integers(k, size=n)
        return self.snap(x)

    def perturb(self, rng: np.random.Generator, centers: np.ndarray, n: int, scale: float) -> np.ndarray:
        """Gaussian steps around ``centers``; each categorical flips to a random choice with probability 1/d."""
        x = centers[rng.integers(len(centers), size=n)].copy()
        step = x[:, self.free] + rng.normal(0.0, scale, size=(n, len(self.free)))
        # reflect off the bounds: clipping would pile candidates onto the faces of the box, and points
        # exactly on a face tell the model nothing about that dimension
        step = np.abs(step)
        x[:, self.free] = 1.0 - np.abs(1.0 - step)
        for j, k in self.choices.items():
            flip = rng.random(n) < 1.0 / self.dim
            x[flip, j] = rng.integers(k, size=int(flip.sum()))
        return self.snap(x)


GLOBAL_SHARE = 0.5  # the share of polish starts drawn from the global screening pool
BOLTZMANN_ETA = 2.0  # how sharply those draws favour high (standardized) acquisition values


def maximize(acquisition: Callable[[torch.Tensor], torch.Tensor], box: Box, rng: np.random.Generator,
             incumbents: np.ndarray, n_raw: int = 1024, n_restarts: int = 4, maxiter: int = 50) -> np.ndarray:
    """The best point found: random and local screening, then L-BFGS-B on the continuous dimensions.

    The polish starts from the best screened points of both pools, global and near the incumbents,
    so that a promising region far from the incumbents is refined as well as the incumbents' own.
    """
    pools = [box.random(rng, n_raw)]
    if len(incumbents):
        pools.append(np.concatenate([box.snap(incumbents[:1]), box.perturb(rng, incumbents, n_raw // 4, 0.2),
                                     box.perturb(rng, incumbents, n_raw // 4, 0.05),
                                     box.perturb(rng, incumbents, n_raw // 4, 0.01)]))
    n_global = n_restarts if len(pools) == 1 else max(1, round(n_restarts * GLOBAL_SHARE))
    quotas = [n_global, n_restarts - n_global]
    starts, start_scores = [], []
    for k, (pool, quota) in enumerate(zip(pools, quotas)):
        if quota <= 0:
            continue
        scores = _score(acquisition, pool)
        top = np.argsort(-scores, kind="stable")[:quota] if k else _diverse(rng, scores, quota)
        starts.append(pool[top])
        start_scores.append(scores[top])
    starts_arr = np.concatenate(starts)
    polished = box.snap(_polish(acquisition, box, starts_arr, maxiter))
    if box.levels:  # snapping moved the integer dimensions: polish the others again with them held
        polished = np.concatenate((polished, box.snap(_polish(acquisition, box, polished, maxiter, held=box.levels))))
    candidates = np.concatenate((starts_arr, polished))
    all_scores = np.concatenate((*start_scores, _score(acquisition, polished)))
    return candidates[int(np.argmax(all_scores))]


def _diverse(rng: np.random.Generator, scores: np.ndarray, n: int) -> np.ndarray:
    """The best point and ``n - 1`` more drawn with Boltzmann weights on the standardized scores.

    The best screened points mostly lie on one slope of the acquisition; drawing the other starts
    spreads the polish over several of its maxima, so a far region that polishes higher is found.
    """
    order = np.argsort(-scores, kind="stable")
    finite = np.isfinite(scores)
    if n <= 1 or finite.sum() <= n:
        return order[:n]
    z = (scores - scores[finite].mean()) / max(float(scores[finite].std()), 1e-12)
    weights = np.where(finite, np.exp(BOLTZMANN_ETA * np.minimum(z - z[order[0]], 0.0)), 0.0)
    weights[order[0]] = 0.0
    if np.count_nonzero(weights) < n - 1:
        return order[:n]
    rest = rng.choice(len(scores), size=n - 1, replace=False, p=weights / weights.sum())
    return np.concatenate(([order[0]], rest))


def _score(acquisition: Callable[[torch.Tensor], torch.Tensor], points: np.ndarray, chunk: int = 512) -> np.ndarray:
    out = []
    with torch.no_grad():
        for i in range(0, len(points), chunk):
            x = torch.as_tensor(points[i:i + chunk], dtype=torch.float64).unsqueeze(1)
            out.append(acquisition(x).reshape(-1).cpu().numpy())
    scores = np.concatenate(out)
    return np.where(np.isfinite(scores), scores, -np.inf)


def _polish(acquisition: Callable[[torch.Tensor], torch.Tensor], box: Box, starts: np.ndarray,
            maxiter: int, held: Collection[int] = ()) -> np.ndarray:
    """L-BFGS-B from every start at once (the acquisition of separate points sums), categoricals and ``held`` held."""
    free = np.array([j for j in box.free if j not in held], dtype=int)
    if free.size == 0:
        return starts
    base = torch.as_tensor(starts, dtype=torch.float64)

    def loss(z: np.ndarray) -> tuple[float, np.ndarray]:
        zt = torch.as_tensor(z.reshape(len(starts), free.size), dtype=torch.float64).requires_grad_(True)
        x = base.clone()
        x[:, free] = zt
        value = acquisition(x.unsqueeze(1)).sum()
        (grad,) = torch.autograd.grad(value, zt)
        return -float(value.detach()), -grad.reshape(-1).numpy()

    z0 = starts[:, free].reshape(-1)
    try:
        result = minimize(loss, z0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * z0.size,
                          options={"maxiter": maxiter, "ftol": 1e-12})
        z = result.x
    except (RuntimeError, ValueError):  # a numerically broken acquisition: keep the screened starts
        z = z0
    out = starts.copy()
    out[:, free] = z.reshape(len(starts), free.size)
    return out
