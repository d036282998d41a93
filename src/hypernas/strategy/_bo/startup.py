"""Start-up designs: the first trials of a model-based search spread by a scrambled Sobol sequence.

Trial ``n`` takes point ``n`` of a sequence fixed by the seed, so the design is reproducible and
a resumed study continues it. Spaces with conditions fall back on independent random samples.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from hypernas.space import Categorical, Fixed, Float, Int, Space


def startup_params(space: Space, seed: int | None, index: int, rng: np.random.Generator) -> dict[str, Any]:
    """Point ``index`` of the seed's Sobol design over ``space`` (a random sample if the space is conditional)."""
    names = [n for n, p in space.items() if not isinstance(p, Fixed) and p.cardinality != 1]
    if space.is_conditional or not names or not all(isinstance(space[n], (Float, Int, Categorical)) for n in names):
        return space.sample(rng)
    from scipy.stats import qmc  # imported here: scipy.stats takes a second to load, and only start-up needs it

    sobol = qmc.Sobol(len(names), scramble=True, seed=np.random.default_rng(None if seed is None else [seed, 271_828]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if index > 0:
            sobol.fast_forward(index)
        u = sobol.random(1)[0]
    coords = dict(zip(names, u))
    out: dict[str, Any] = {}
    for name, p in space.items():
        if name not in coords:
            out[name] = p.default
        elif isinstance(p, Categorical):
            out[name] = p.choices[min(int(coords[name] * len(p.choices)), len(p.choices) - 1)]
        else:
            out[name] = p.decode([float(coords[name])])
    return out
