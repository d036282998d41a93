"""Zero-cost proxies on NAS-Bench-201: Spearman rho of each proxy with the table's 200-epoch test accuracy.

Usage: python bench/zero_cost_nb201.py [--table ../shared/benchmarks/nb201.csv.gz] [--cells N]
       [--proxies synflow,naswot,...] [--cifar PATH] [--batch-size 64] [--seed 0] [--bootstrap 1000] [--threads 1] [--jobs 1]

Every cell (or a seeded random subset of ``--cells N``) is built as the benchmark's network (32x32
input, C=16, 5 cells per stage, 10 classes), its weights drawn with ``--seed``
(:func:`~hypernas.estimate.proxies.init_params`), and scored with each proxy. The table printed
has, per proxy, Spearman rho against ``cifar10_test_200`` and ``cifar100_test_200`` with a
bootstrap 95% interval over cells, the published value where one is known, and the seconds per
cell; the rows ``valid_12`` / ``test_12`` are the 12-epoch accuracies of the same dataset (the
training-based signal a proxy must approach).

Data: synflow, params and flops need no images. The others score one batch of ``--batch-size``
images: CIFAR-10 training images from ``--cifar PATH`` (a folder with the official python archive,
normalised as NAS-Bench-201 does), or else random Gaussian images with random labels (the output
says so; their rho is not comparable to the published one). The data-free proxies are computed per
dataset, with its 10- or 100-class head; the others once, with the 10-class head and CIFAR-10 images
(or noise), and compared with both datasets' accuracies.
A proxy that is -inf or NaN for a cell (a network with no path from input to output) ranks last.

Published (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021, all 15,625 cells):
synflow 0.737 (CIFAR-10) / 0.763 (CIFAR-100); the parameter count 0.753; 12-epoch accuracy 0.772.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from hypernas.estimate.models import build_nb201
from hypernas.estimate.proxies import PROXIES, get_proxy, init_params, proxy_score
from hypernas.estimate.train.datasets import load_dataset

DATASETS = ("cifar10", "cifar100")
CLASSES = {"cifar10": 10, "cifar100": 100}
PUBLISHED = {"synflow": (0.737, 0.763), "params": (0.753, None), "valid_12": (0.772, None)}
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)  # the normalisation of NAS-Bench-201's CIFAR pipeline
CIFAR_STD = (0.2470, 0.2435, 0.2616)


def images(cifar: str | None, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """``(images, labels, description)``: CIFAR-10 training images, or Gaussian noise with random labels."""
    generator = torch.Generator().manual_seed(seed)
    if cifar is None:
        x = torch.randn(n, 3, 32, 32, generator=generator)
        return x, torch.randint(0, 10, (n,), generator=generator), "random Gaussian images with random labels"
    data = load_dataset("cifar10", root=cifar, download=False).train
    rows = torch.randperm(len(data), generator=generator)[:n]
    x = data.x[rows].float() / 255.0
    x = (x - torch.tensor(CIFAR_MEAN)[:, None, None]) / torch.tensor(CIFAR_STD)[:, None, None]
    return x, data.y[rows], f"{n} CIFAR-10 training images from {cifar}"


def rho_with_interval(a: np.ndarray, b: np.ndarray, rounds: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Spearman rho of ``a`` and ``b`` and its bootstrap 95% interval (cells resampled with replacement)."""
    rho = float(spearmanr(a, b).statistic)
    draws = []
    for _ in range(rounds):
        idx = rng.integers(0, len(a), len(a))
        draws.append(spearmanr(a[idx], b[idx]).statistic)
    low, high = np.nanpercentile(draws, [2.5, 97.5]) if draws else (math.nan, math.nan)
    return rho, float(low), float(high)


def score_cell(arch: str, names: list[str], seed: int, x: torch.Tensor, y: torch.Tensor,
               threads: int) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Every proxy's score of one cell (per dataset) and the seconds each took."""
    torch.set_num_threads(threads)
    nets = {d: init_params(build_nb201(arch, num_classes=CLASSES[d], channels=16, cells=5), seed) for d in DATASETS}
    scores: dict[tuple[str, str], float] = {}
    seconds: dict[str, float] = {}
    for name in names:
        t = time.perf_counter()
        if get_proxy(name).needs == "shape":  # the dataset's own head
            for d in DATASETS:
                scores[name, d] = proxy_score(name, nets[d], x, y)
        else:  # one batch of CIFAR-10 images (or noise) for both
            scores[name, DATASETS[0]] = scores[name, DATASETS[1]] = proxy_score(name, nets["cifar10"], x, y)
        seconds[name] = time.perf_counter() - t
    return scores, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks"
                                               / "nb201.csv.gz"))
    parser.add_argument("--cells", type=int, default=0, help="a seeded random subset of N cells (0: all)")
    parser.add_argument("--proxies", default=",".join(PROXIES.names()))
    parser.add_argument("--cifar", default=None, help="folder with CIFAR-10 (else random images and labels)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--jobs", type=int, default=1, help="processes scoring cells side by side")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = [p for p in args.proxies.split(",") if p]
    for name in names:
        get_proxy(name)  # an unknown name stops here, listing the known ones

    table = pd.read_csv(args.table)
    rng = np.random.default_rng(args.seed)
    if 0 < args.cells < len(table):
        table = table.iloc[np.sort(rng.choice(len(table), args.cells, replace=False))].reset_index(drop=True)
    x, y, data_text = images(args.cifar, args.batch_size, args.seed)

    scores = {(name, d): np.empty(len(table)) for name in names for d in DATASETS}
    seconds = dict.fromkeys(names, 0.0)
    start = time.perf_counter()
    job = functools.partial(score_cell, names=names, seed=args.seed, x=x, y=y, threads=args.threads)
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.jobs)) if args.jobs > 1 else None
        results = pool.imap(job, table["arch"], chunksize=8) if pool is not None else map(job, table["arch"])
        for i, (cell_scores, cell_seconds) in enumerate(results):
            for key, value in cell_scores.items():
                scores[key][i] = value
            for name, t in cell_seconds.items():
                seconds[name] += t
            done = i + 1
            if done % 25 == 0 or done == len(table):
                elapsed = time.perf_counter() - start
                print(f"  {done}/{len(table)} cells, {elapsed / done:.2f} s/cell, "
                      f"ETA {elapsed / done * (len(table) - done) / 60:.1f} min", file=sys.stderr, flush=True)

    n = len(table)
    needs_data = [nm for nm in names if get_proxy(nm).needs != "shape"]
    print(f"\nZero-cost proxies on NAS-Bench-201: {n} cells, seed {args.seed}, 32x32, C=16, 5 cells per stage")
    if needs_data:
        print(f"images for {', '.join(needs_data)}: {data_text}"
              + ("  (NOT CIFAR: their rho is not comparable to the published one)" if args.cifar is None else ""))
    header = f"{'proxy':<11}" + "".join(f"{'rho ' + d + ' [95% CI]':>30}{'published':>10}" for d in DATASETS)
    print(header + f"{'s/cell':>9}")
    for column in ("valid_12", "test_12"):  # the 12-epoch accuracies of each dataset, as signals beside the proxies
        for dataset in DATASETS:
            scores[column, dataset] = table[f"{dataset}_{column}"].to_numpy(float)
    boot = np.random.default_rng(args.seed + 1)
    for name in [*names, "valid_12", "test_12"]:
        line = f"{name:<11}"
        for k, dataset in enumerate(DATASETS):
            target = table[f"{dataset}_test_200"].to_numpy(float)
            values = scores[name, dataset]
            values = np.where(np.isfinite(values), values, -np.inf)  # degenerate networks rank last
            rho, low, high = rho_with_interval(values, target, args.bootstrap, boot)
            published = PUBLISHED.get(name, (None, None))[k]
            line += f"{rho:>14.3f} [{low:.3f}, {high:.3f}]" + (f"{published:>10.3f}" if published else f"{'':>10}")
        line += f"{seconds[name] / n:>9.3f}" if name in seconds else f"{'':>9}"
        print(line)
    bad = {nm: int((~np.isfinite(scores[nm, DATASETS[0]])).sum()) for nm in names}
    degenerate = {nm: count for nm, count in bad.items() if count}
    if degenerate:
        print("cells scored -inf or NaN (ranked last): " + ", ".join(f"{k} {v}" for k, v in degenerate.items()))


if __name__ == "__main__":
    main()
