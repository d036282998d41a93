"""Seeded, class-stratified splits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hypernas.errors import ConfigError
from hypernas.estimate.train import Dataset, DataSource, load_dataset, make_splits


def labelled(n_per_class: list[int]) -> Dataset:
    y = np.concatenate([np.full(n, c) for c, n in enumerate(n_per_class)])
    x = np.arange(len(y), dtype=np.float32)[:, None]  # the sample's own index, to check disjointness
    return Dataset.from_arrays(x, y)


def test_three_way_split_is_stratified_disjoint_and_seeded():
    data = labelled([100, 50, 20])
    s = make_splits(data, val_fraction=0.2, test_fraction=0.1, seed=3)
    assert np.bincount(s.val.y.numpy()).tolist() == [20, 10, 4]
    assert np.bincount(s.test.y.numpy()).tolist() == [10, 5, 2]
    ids = [set(part.x[:, 0].tolist()) for part in (s.train, s.val, s.test)]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert sum(map(len, ids)) == 170
    again = make_splits(data, val_fraction=0.2, test_fraction=0.1, seed=3)
    other = make_splits(data, val_fraction=0.2, test_fraction=0.1, seed=4)
    assert torch.equal(again.val.x, s.val.x) and not torch.equal(other.val.x, s.val.x)


def test_official_test_set_is_kept_and_validation_cut_from_train():
    source = DataSource(labelled([30, 30]), labelled([5, 5]))
    s = make_splits(source, val_fraction=0.1)
    assert len(s.test) == 10 and len(s.val) == 6 and len(s.train) == 54


def test_subsets_keep_class_balance():
    s = make_splits(load_dataset("digits"), train_size=200, val_size=0.5, test_size=50, seed=0)
    assert len(s.train) == 200 and len(s.test) == 50
    counts = np.bincount(s.train.y.numpy(), minlength=10)
    assert counts.min() >= 18 and counts.max() <= 22


def test_bad_fractions_and_empty_splits():
    with pytest.raises(ConfigError, match="splits: val_fraction must be a number in \\[0, 1\\), got 1.5"):
        make_splits(labelled([10]), val_fraction=1.5)
    with pytest.raises(ConfigError, match="val_fraction \\+ test_fraction must be < 1"):
        make_splits(labelled([10]), val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ConfigError, match="the validation split of dataset 'arrays' is empty"):
        make_splits(labelled([2, 2]), val_fraction=0.1, test_fraction=0.1)
