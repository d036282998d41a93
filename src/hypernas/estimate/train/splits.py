"""Seeded, class-stratified train / validation / test splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hypernas.errors import ConfigError
from hypernas.estimate.train.datasets import Dataset, DataSource
from hypernas.validate import check_int, check_number, is_integer


@dataclass
class Splits:
    """The three parts a trial uses: fit on ``train``, select on ``val``, report ``test``."""

    train: Dataset
    val: Dataset
    test: Dataset

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.train.input_shape

    @property
    def num_classes(self) -> int:
        return self.train.num_classes


def _allocate(counts: np.ndarray, available: np.ndarray, fraction: float) -> np.ndarray:
    """Per-class sizes that sum to ``round(fraction * total)``, proportional to ``counts`` (largest remainders)."""
    quotas = fraction * counts
    sizes = np.minimum(np.floor(quotas).astype(np.int64), available)
    missing = round(fraction * counts.sum()) - int(sizes.sum())
    for c in np.argsort(-(quotas - sizes), kind="stable"):
        if missing <= 0:
            break
        if sizes[c] < available[c]:
            sizes[c] += 1
            missing -= 1
    return sizes


def stratified_indices(labels: np.ndarray, fractions: list[float], seed: int) -> list[np.ndarray]:
    """Cut ``range(len(labels))`` into parts of the given fractions (the rest is the last part), per class.

    Each class is shuffled with the seed and cut in the same proportions, so every part keeps the
    class balance (part sizes are exact; classes get the largest remainders); indices are sorted.
    """
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    members = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    counts = np.array([len(m) for m in members], dtype=np.int64)
    taken = np.zeros_like(counts)
    parts: list[np.ndarray] = []
    for f in fractions:
        sizes = _allocate(counts, counts - taken, f)
        parts.append(np.concatenate([m[t:t + k] for m, t, k in zip(members, taken, sizes)] or [np.array([], int)]))
        taken += sizes
    parts.append(np.concatenate([m[t:] for m, t in zip(members, taken)] or [np.array([], int)]))
    return [np.sort(p).astype(np.int64) for p in parts]


def subsample(data: Dataset, size: int | float | None, seed: int) -> Dataset:
    """A stratified subset of ``size`` samples (an int) or of that fraction (a float in (0, 1])."""
    if size is None:
        return data
    n = len(data)
    if is_integer(size):
        k = check_int("splits", "subset size", size, 1)
    else:
        k = round(check_number("splits", "subset size", size, 0.0, 1.0, low_open=True) * n)
    if k >= n:
        return data
    (keep, _) = stratified_indices(data.y.numpy(), [k / n], seed)
    return data.subset(keep)


def make_splits(source: DataSource | Dataset, *, val_fraction: float = 0.15, test_fraction: float = 0.15,
                seed: int = 0, train_size: int | float | None = None, val_size: int | float | None = None,
                test_size: int | float | None = None) -> Splits:
    """Stratified splits of ``source``.

    With an official test set, validation is cut from the training data (``val_fraction``) and the
    test set is kept; otherwise validation and test are both cut from the data. ``*_size`` then keep a
    stratified subset of each part (an int: that many samples; a float: that fraction).
    """
    check_number("splits", "val_fraction", val_fraction, 0.0, 1.0, high_open=True)
    check_number("splits", "test_fraction", test_fraction, 0.0, 1.0, high_open=True)
    if isinstance(source, Dataset):
        source = DataSource(source)
    data = source.train
    labels = data.y.numpy()
    if source.test is not None:
        val_idx, train_idx = stratified_indices(labels, [val_fraction], seed)
        test = source.test
    else:
        if val_fraction + test_fraction >= 1:
            raise ConfigError(f"splits: val_fraction + test_fraction must be < 1, got {val_fraction} + {test_fraction}")
        val_idx, test_idx, train_idx = stratified_indices(labels, [val_fraction, test_fraction], seed)
        test = data.subset(test_idx)
    train, val = data.subset(train_idx), data.subset(val_idx)
    for part, name in ((train, "training"), (val, "validation"), (test, "test")):
        if len(part) == 0:
            raise ConfigError(f"the {name} split of dataset {data.name!r} is empty ({len(data)} samples); "
                              "use larger fractions or more data")
    return Splits(subsample(train, train_size, seed + 1), subsample(val, val_size, seed + 2),
                  subsample(test, test_size, seed + 3))
