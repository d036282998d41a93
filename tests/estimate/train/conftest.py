"""Shared fixtures: one torch thread (the test machine is small and shared) and tiny data."""

from __future__ import annotations

import pytest
import torch

from hypernas.estimate.train import Dataset, load_dataset, make_splits

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits_splits():
    """A small stratified slice of scikit-learn's digits: 300 train, 90 validation, 90 test."""
    return make_splits(load_dataset("digits"), val_fraction=0.15, test_fraction=0.15, seed=0,
                       train_size=300, val_size=90, test_size=90)


@pytest.fixture()
def toy_images():
    """32 random 1x8x8 images of 4 classes whose class is the brightest quadrant (learnable, tiny)."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(32) % 4
    x = torch.rand(32, 1, 8, 8, generator=g) * 0.3
    for i, c in enumerate(y.tolist()):
        r, q = divmod(c, 2)
        x[i, 0, r * 4:(r + 1) * 4, q * 4:(q + 1) * 4] += 0.7
    return Dataset(x, y, ["a", "b", "c", "d"], "toy")


@pytest.fixture(autouse=True)
def _data_cache_in_tmp(monkeypatch, tmp_path):
    """Every test gets its own empty dataset cache; nothing is read from or written to ~/.cache."""
    monkeypatch.setenv("HYPERNAS_DATA", str(tmp_path / "cache"))


@pytest.fixture()
def no_network(monkeypatch):
    """Fail any attempt to download."""
    from hypernas.estimate.train import download

    def refuse(url, dest):
        raise AssertionError(f"a test tried to download {url}")

    monkeypatch.setattr(download, "fetch_url", refuse)
