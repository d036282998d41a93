"""Output warping: monotone, compresses a tail of bad values, never stretches it."""

from __future__ import annotations

import numpy as np

from hypernas.strategy._bo.warping import warp


def test_warping_keeps_the_order_and_compresses_a_long_tail_of_bad_values() -> None:
    rng = np.random.default_rng(0)
    values = -np.exp(rng.normal(0.0, 2.0, 200))  # larger is better; a few very bad values
    warped = warp(values)
    assert np.array_equal(np.argsort(values, kind="stable"), np.argsort(warped, kind="stable"))
    spread = lambda v: (np.median(v) - v.min()) / (v.max() - np.median(v))  # noqa: E731
    assert spread(warped) < spread((values - values.mean()) / values.std()) / 3


def test_warping_never_stretches_the_bad_tail_and_leaves_tiny_or_flat_histories_alone() -> None:
    rng = np.random.default_rng(1)
    values = np.exp(rng.normal(0.0, 2.0, 200))  # a long tail of *good* values: the exponent is held at 1
    z = (values - values.mean()) / values.std()
    np.testing.assert_allclose(warp(values), z, rtol=1e-3, atol=1e-3)  # the exponent is fitted to 1e-3
    assert np.array_equal(warp(np.array([3.0, 3.0, 3.0])), [3.0, 3.0, 3.0])
    assert np.array_equal(warp(np.array([1.0, 2.0])), [1.0, 2.0])
