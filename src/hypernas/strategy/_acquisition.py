"""Maximizing an acquisition function over a mixed box cheaply: screen many points, polish a few.

Points live in [0, 1]^d except categorical dimensions, which hold a choice index. Integer-like
dimensions are relaxed during the gradient polish and snapped to their levels afterwards; the
final answer is always scored at a point the space can take.
"""

from __future__ import annotations

from collections.abc import Callable
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
        x[:, self.free] += rng.normal(0.0, scale, size=(n, len(self.free)))
        for j, k in self.choices.items():
            flip = rng.random(n) < 1.0 / self.dim
            x[flip, j] = rng.integers(k, size=int(flip.sum()))
        return self.snap(x)


def maximize(acquisition: Callable[[torch.Tensor], torch.Tensor], box: Box, rng: np.random.Generator,
             incumbents: np.ndarray, n_raw: int = 1024, n_restarts: int = 4, maxiter: int = 25) -> np.ndarray:
    """The best point found: random and local screening, then L-BFGS-B on the continuous dimensions."""
    raw = [box.random(rng, n_raw)]
    if len(incumbents):
        raw.append(box.perturb(rng, incumbents, n_raw // 4, 0.2))
        raw.append(box.perturb(rng, incumbents, n_raw // 4, 0.05))
        raw.append(box.perturb(rng, incumbents, n_raw // 4, 0.01))
    points = np.concatenate(raw)
    scores = _score(acquisition, points)
    starts = points[np.argsort(-scores, kind="stable")[:n_restarts]]
    polished = box.snap(_polish(acquisition, box, starts, maxiter))
    polished_scores = _score(acquisition, polished)
    candidates = np.concatenate((starts, polished))
    all_scores = np.concatenate((scores[np.argsort(-scores, kind="stable")[:n_restarts]], polished_scores))
    return candidates[int(np.argmax(all_scores))]


def _score(acquisition: Callable[[torch.Tensor], torch.Tensor], points: np.ndarray, chunk: int = 512) -> np.ndarray:
    out = []
    with torch.no_grad():
        for i in range(0, len(points), chunk):
            x = torch.as_tensor(points[i:i + chunk], dtype=torch.float64).unsqueeze(1)
            out.append(acquisition(x).reshape(-1).cpu().numpy())
    scores = np.concatenate(out)
    return np.where(np.isfinite(scores), scores, -np.inf)


def _polish(acquisition: Callable[[torch.Tensor], torch.Tensor], box: Box, starts: np.ndarray,
            maxiter: int) -> np.ndarray:
    """L-BFGS-B from every start at once (the acquisition of separate points sums), categoricals held."""
    free = np.array(box.free, dtype=int)
    if free.size == 0:
        return starts
    base = torch.as_tensor(starts, dtype=torch.float64)

    def loss(z: np.ndarray) -> tuple[float, np.ndarray]:
        zt = torch.as_tensor(z.reshape(len(starts), free.size), dtype=torch.float64).requires_grad_(True)
        x = base.clone()
        x[:, free] = zt
        value = acquisition(x.unsqueeze(1)).sum()
        (grad,) = torch.autograd.grad(value, zt)
        return -float(value), -grad.reshape(-1).numpy()

    z0 = starts[:, free].reshape(-1)
    try:
        result = minimize(loss, z0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * z0.size,
                          options={"maxiter": maxiter})
        z = result.x
    except (RuntimeError, ValueError):  # a numerically broken acquisition: keep the screened starts
        z = z0
    out = starts.copy()
    out[:, free] = z.reshape(len(starts), free.size)
    return out
