"""Benchmark: early stopping and multi-fidelity scheduling at an equal total epoch budget, on real training.

Task: an MLP (1-2 hidden layers) trained with SGD on scikit-learn's digits (50/20/30 stratified
train/validation/test split per seed); each epoch reports validation accuracy; the search space is learning rate, width,
depth, weight decay and dropout. Every method gets the same budget of epochs (``--full-trials``
trials of ``--epochs`` epochs: what search without pruning spends) and stops when it is spent.

Methods: no pruning; hypernas median, ASHA and Hyperband pruners; hypernas's Hyperband scheduler
(budgets set up front; a promoted configuration resumes from its own checkpoint); Optuna's
MedianPruner, SuccessiveHalvingPruner and HyperbandPruner. All pruner runs evaluate the same
sequence of configurations (Optuna's are enqueued from hypernas's random search), and a
configuration trains identically under every method, so they differ only by when they stop.
Settings match between the libraries: rungs min 1, max ``--epochs``, eta ``--eta``; median pruners
with one complete start-up trial (hypernas's default; Optuna's default of 5 is run as well).

Reported per method, mean over seeds: test accuracy of the best-by-validation complete trial at
the full budget and at a third of it; epochs needed to come within 0.5 points of the final
no-pruning accuracy (median over seeds, as a fraction of the budget); trials run.

    PYTHONPATH=src python bench/pruning.py --seeds 5
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import multiprocessing
import platform
import statistics
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import hypernas as hn
from hypernas.space import Float, Int, Space

SPACES = {
    # a wide space, as in a first search: most configurations train badly or not at all
    "wide": Space({
        "lr": Float(1e-5, 3.0, log=True),
        "width": Int(4, 128, log=True),
        "depth": Int(1, 2),
        "weight_decay": Float(1e-6, 0.3, log=True),
        "dropout": Float(0.0, 0.8),
    }),
    # a narrow space around sensible values: random search finds a good configuration within a few trials
    "narrow": Space({
        "lr": Float(1e-4, 1.0, log=True),
        "width": Int(16, 128, log=True),
        "depth": Int(1, 2),
        "weight_decay": Float(1e-6, 1e-2, log=True),
        "dropout": Float(0.0, 0.5),
    }),
}
BATCH = 256
MAX_CONFIGS = 2000


class BudgetSpent(BaseException):
    """The method's epoch budget is used up (BaseException: no study catches it as a failed trial)."""


@dataclass
class Run:
    """The epoch budget of one method on one seed, and what it found along the way."""

    budget: int
    full_epochs: int
    spent: int = 0
    trials: int = 0
    found: list[tuple[int, float, float]] = field(default_factory=list)  # (epochs spent, val acc, test acc)
    checkpoints: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=dict)

    def epoch(self) -> None:
        if self.spent >= self.budget:
            raise BudgetSpent()
        self.spent += 1

    def best_test_at(self, epochs: float) -> float:
        """Test accuracy of the best-by-validation result found within ``epochs``."""
        seen = [(v, t) for s, v, t in self.found if s <= epochs]
        return max(seen)[1] if seen else float("nan")

    def epochs_to_reach(self, target: float) -> int | None:
        best = None
        for s, v, t in sorted(self.found):
            if best is None or v > best[0]:
                best = (v, t)
            if best[1] >= target:
                return s
        return None


def load_data(seed: int, noise: float = 0.0) -> dict[str, torch.Tensor]:
    """Digits scaled to [0, 1], split per seed; ``noise`` adds fixed Gaussian pixel noise (a harder task)."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0 + noise * np.random.default_rng([seed, 99]).standard_normal(x.shape)).astype(np.float32)
    xtr, xrest, ytr, yrest = train_test_split(x, y, test_size=0.5, stratify=y, random_state=seed)
    xva, xte, yva, yte = train_test_split(xrest, yrest, test_size=0.6, stratify=yrest, random_state=seed)
    return {k: torch.tensor(v) for k, v in
            {"xtr": xtr, "ytr": ytr, "xva": xva, "yva": yva, "xte": xte, "yte": yte}.items()}


def build(config: dict[str, Any]) -> torch.nn.Module:
    layers: list[torch.nn.Module] = []
    width_in = 64
    for _ in range(config["depth"]):
        layers += [torch.nn.Linear(width_in, config["width"]), torch.nn.ReLU(), torch.nn.Dropout(config["dropout"])]
        width_in = config["width"]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width_in, 10))


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train()
    return acc


def train(config: dict[str, Any], data: dict[str, torch.Tensor], run: Run, seed: int, epochs: int,
          report: Callable[[int, float], bool], resume: bool = False) -> float:
    """Train ``config`` up to ``epochs``, reporting validation accuracy after each; returns it at the end.

    ``report(epoch, acc)`` returns True to stop (the caller's pruner said so). With ``resume``, training
    continues from this configuration's last checkpoint in the run (Hyperband scheduler promotions).
    """
    key = json.dumps(config, sort_keys=True)
    gen = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
    torch.manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
    model = build(config)
    opt = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9, weight_decay=config["weight_decay"])
    start = 0
    if resume and key in run.checkpoints:
        start, model_state, opt_state = run.checkpoints[key]
        model.load_state_dict(model_state)
        opt.load_state_dict(opt_state)
        gen.manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()) + start)
    run.trials += 1
    val = 0.0
    for epoch in range(start + 1, epochs + 1):
        run.epoch()
        for idx in torch.randperm(len(data["ytr"]), generator=gen).split(BATCH):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(data["xtr"][idx]), data["ytr"][idx])
            if not torch.isfinite(loss):
                break
            loss.backward()
            opt.step()
        val = accuracy(model, data["xva"], data["yva"])
        if report(epoch, val):
            return -1.0
    if resume and epochs < run.full_epochs:
        run.checkpoints[key] = (epochs, model.state_dict(), opt.state_dict())
    run.found.append((run.spent, val, accuracy(model, data["xte"], data["yte"])))
    return val


def configs_for(space: Space, seed: int) -> list[dict[str, Any]]:
    """The configurations hypernas's seeded random search proposes, in trial order."""
    return [space.sample(np.random.default_rng([seed, n, 0])) for n in range(MAX_CONFIGS)]


# --- hypernas ------------------------------------------------------------------------------
def run_hypernas(space: Space, seed: int, data: dict[str, torch.Tensor], budget: int, epochs: int,
                 pruner: Any = None, strategy: Any = None) -> Run:
    run = Run(budget, epochs)
    study = hn.create_study(direction="maximize", seed=seed, pruner=pruner, strategy=strategy or "random")
    resume = strategy is not None

    def objective(trial: hn.Trial) -> float:
        def report(epoch: int, acc: float) -> bool:
            trial.report(epoch, acc)
            return trial.should_prune()

        val = train(trial.params, data, run, seed, int(trial.budget or epochs), report, resume=resume)
        if val < 0:
            raise hn.TrialPruned()
        return val

    with contextlib.suppress(BudgetSpent):
        study.optimize(objective, space, n_trials=MAX_CONFIGS)
    return run


# --- optuna --------------------------------------------------------------------------------
def run_optuna(space: Space, seed: int, data: dict[str, torch.Tensor], budget: int, epochs: int,
               pruner: Any) -> Run:
    import optuna

    run = Run(budget, epochs)
    # a fixed name: HyperbandPruner assigns brackets by a hash of it, so the run repeats
    study = optuna.create_study(study_name=f"pruning-{seed}", direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=seed), pruner=pruner)
    for config in configs_for(space, seed):
        study.enqueue_trial(config)

    def objective(trial: Any) -> float:
        config = {name: (trial.suggest_int if isinstance(p, Int) else trial.suggest_float)(
            name, p.low if isinstance(p, Float) else int(p.low), p.high if isinstance(p, Float) else int(p.high),
            log=p.log) for name, p in space.items()}

        def report(epoch: int, acc: float) -> bool:
            trial.report(acc, epoch)
            return trial.should_prune()

        val = train(config, data, run, seed, epochs, report)
        if val < 0:
            raise optuna.TrialPruned()
        return val

    with contextlib.suppress(BudgetSpent):
        study.optimize(objective, n_trials=MAX_CONFIGS)
    return run


Method = Callable[[int, dict[str, torch.Tensor], int], Run]


def methods(space: Space, epochs: int, eta: int) -> dict[str, Method]:
    """Each benchmarked method as ``fn(seed, data, budget) -> Run``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rungs = {"min_resource": 1, "reduction_factor": eta}

    def hypernas(pruner: Any = None, strategy: Any = None) -> Method:
        return lambda s, d, b: run_hypernas(space, s, d, b, epochs, pruner, strategy)

    def with_optuna(make_pruner: Callable[[], Any]) -> Method:
        return lambda s, d, b: run_optuna(space, s, d, b, epochs, make_pruner())

    return {
        "no pruning": hypernas(),
        "hypernas median": hypernas("median"),  # defaults: one complete start-up trial
        "hypernas asha": hypernas({"type": "asha", "max_resource": epochs, **rungs}),
        "hypernas hyperband": hypernas({"type": "hyperband", "max_resource": epochs, **rungs}),
        "hypernas hyperband scheduler": hypernas(strategy={"type": "hyperband", "max_resource": epochs, **rungs}),
        "optuna median": with_optuna(lambda: optuna.pruners.MedianPruner(n_startup_trials=1)),  # as hypernas
        "optuna median, 5 startup": with_optuna(lambda: optuna.pruners.MedianPruner()),  # Optuna's default
        "optuna successive halving": with_optuna(
            lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=eta)),
        "optuna hyperband": with_optuna(
            lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=eta)),
    }


def run_seed(seed: int, space: str, epochs: int, full_trials: int, eta: int, only: str,
             noise: float) -> dict[str, tuple[Run, float]]:
    """Every method on one seed: its run (checkpoints dropped) and the seconds it took."""
    torch.set_num_threads(1)
    table = methods(SPACES[space], epochs, eta)
    if only:
        keep = {"no pruning", *[m.strip() for m in only.split(",")]}
        table = {k: v for k, v in table.items() if k in keep}
    data = load_data(seed, noise)
    out = {}
    for name, fn in table.items():
        t0 = time.perf_counter()
        run = fn(seed, data, full_trials * epochs)
        run.checkpoints.clear()
        out[name] = (run, time.perf_counter() - t0)
    print(f"seed {seed}: " + ", ".join(f"{m}={r.best_test_at(r.budget):.4f}" for m, (r, _) in out.items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--space", choices=sorted(SPACES), default="wide")
    parser.add_argument("--epochs", type=int, default=27, help="epochs of a full training run (max resource)")
    parser.add_argument("--full-trials", type=int, default=20, help="budget = this many full runs")
    parser.add_argument("--eta", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.0, help="pixel noise std for a harder task (0: plain digits)")
    parser.add_argument("--jobs", type=int, default=2, help="seeds run in parallel processes")
    parser.add_argument("--only", default="", help="comma-separated method names to run (no pruning always runs)")
    args = parser.parse_args()
    budget = args.full_trials * args.epochs
    job = functools.partial(run_seed, space=args.space, epochs=args.epochs, full_trials=args.full_trials, eta=args.eta, only=args.only,
                            noise=args.noise)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        per_seed = pool.map(job, range(args.seeds))
    results: dict[str, list[Run]] = {m: [r[m][0] for r in per_seed] for m in per_seed[0]}
    seconds = {m: sum(r[m][1] for r in per_seed) for m in per_seed[0]}

    base = results["no pruning"]
    targets = [r.best_test_at(budget) - 0.005 for r in base]
    base_full = statistics.mean(r.best_test_at(budget) for r in base)
    print(f"\n{args.seeds} seeds; budget {budget} epochs per method ({args.full_trials} x {args.epochs}); "
          f"eta {args.eta}; {args.space} space; noise {args.noise:g}; {platform.processor() or platform.machine()}; {datetime.date.today()}")
    header = (f"{'method':30s} {'test acc @B':>12s} {'@B/3':>7s} {'@B/3 - base':>11s} {'epochs to base-0.5':>18s} "
              f"{'<=B/3':>6s} {'trials':>7s} {'sec':>6s}")
    print(header)
    print("-" * len(header))
    for name, runs in results.items():
        full = [r.best_test_at(budget) for r in runs]
        third = [r.best_test_at(budget / 3) for r in runs]
        reach = [r.epochs_to_reach(t) for r, t in zip(runs, targets)]
        ratios = [x / budget if x is not None else float("inf") for x in reach]
        within = sum(x <= 1 / 3 for x in ratios)
        med = statistics.median(ratios)
        print(f"{name:30s} {100 * statistics.mean(full):6.2f}±{100 * statistics.pstdev(full):4.2f} "
              f"{100 * statistics.mean(third):7.2f} {100 * (statistics.mean(third) - base_full):+11.2f} "
              f"{(f'{med:.2f} B' if np.isfinite(med) else 'not reached'):>18s} {within:>3d}/{len(runs):<2d} "
              f"{statistics.mean(r.trials for r in runs):7.1f} {seconds[name]:6.1f}")


if __name__ == "__main__":
    main()
