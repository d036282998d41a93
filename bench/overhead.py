"""The study loop's own cost per trial, hypernas vs Optuna, in memory and on SQLite.

A trivial objective over a small mixed space (log float, int, categorical, float), random
sampling, ``--trials`` trials per run; only the ``optimize`` call is timed (study creation is
not). Each repeat uses a fresh study (and a fresh SQLite file) and its own seed; the table shows
the median milliseconds per trial over the repeats and the ratio hypernas / Optuna (< 1: hypernas
is cheaper).

    python bench/overhead.py [--trials 1000] [--repeats 5] [--storage memory sqlite]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import optuna

import hypernas
from hypernas import Categorical, Float, Int, Space

SPACE = Space({
    "lr": Float(1e-5, 1e-1, log=True),
    "width": Int(8, 256),
    "optimizer": Categorical(["sgd", "adam", "rmsprop"]),
    "dropout": Float(0.0, 0.5),
})


def _score(lr: float, width: int, optimizer: str, dropout: float) -> float:
    return lr * width + dropout + len(optimizer)


def run_hypernas(storage: str | None, n_trials: int, seed: int) -> float:
    study = hypernas.create_study(storage=storage, strategy="random", seed=seed, space=SPACE)

    def objective(trial: hypernas.Trial) -> float:
        return _score(**trial.params)

    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    elapsed = time.perf_counter() - start
    assert len(study.get_trials((hypernas.TrialState.COMPLETE,))) == n_trials
    return elapsed


def run_optuna(storage: str | None, n_trials: int, seed: int) -> float:
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=seed))

    def objective(trial: optuna.Trial) -> float:
        return _score(trial.suggest_float("lr", 1e-5, 1e-1, log=True), trial.suggest_int("width", 8, 256),
                      trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"]),
                      trial.suggest_float("dropout", 0.0, 0.5))

    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    elapsed = time.perf_counter() - start
    assert len(study.trials) == n_trials
    return elapsed


def measure(kind: str, n_trials: int, repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds per trial for each repeat: (hypernas, optuna); the order alternates per repeat."""
    ours: list[float] = []
    theirs: list[float] = []
    for seed in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            url_h = None if kind == "memory" else f"sqlite:///{Path(tmp) / 'hypernas.db'}"
            url_o = None if kind == "memory" else f"sqlite:///{Path(tmp) / 'optuna.db'}"
            runs = [(ours, run_hypernas, url_h), (theirs, run_optuna, url_o)]
            if seed % 2:
                runs.reverse()
            for out, fn, url in runs:
                out.append(1000.0 * fn(url, n_trials, seed) / n_trials)
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--storage", nargs="+", choices=["memory", "sqlite"], default=["memory", "sqlite"])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("hypernas").setLevel(logging.WARNING)

    print(f"{args.trials} trials, {args.repeats} repeats, hypernas {hypernas.__version__}, optuna {optuna.__version__}")
    print("| storage | hypernas ms/trial | optuna ms/trial | ratio hypernas/optuna |")
    print("|---|---:|---:|---:|")
    for kind in args.storage:
        ours, theirs = measure(kind, args.trials, args.repeats)
        ratios = [a / b for a, b in zip(ours, theirs)]
        print(f"| {kind} | {statistics.median(ours):.3f} | {statistics.median(theirs):.3f} | "
              f"{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}) |", flush=True)


if __name__ == "__main__":
    main()
