"""NAS-Bench-201 side by side: hypernas strategies against Optuna's TPE on CIFAR-10 and CIFAR-100.

Usage: python bench/nas_nb201.py [--data ../shared/benchmarks/nb201.csv.gz] [--budget 100] [--seeds 30]
       [--strategies random,evolution,optuna-tpe,optuna-tpe-mv,predictor] [--workers 2] [--out DIR]
Prints one table per dataset (the same as ``hypernas bench nas``) and writes JSON and a plot per dataset.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hypernas.cli.bench.command import format_table, parse_strategy, write_comparison
from hypernas.cli.bench.harness import run_nas_benchmark
from hypernas.estimate.tabular import NB201Benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "nb201.csv.gz"))
    parser.add_argument("--datasets", default="cifar10,cifar100")
    parser.add_argument("--strategies", default="random,evolution,optuna-tpe,optuna-tpe-mv,predictor")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first run (tune on another set)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets.split(","):
        strategies = [parse_strategy(s) for s in args.strategies.split(",")]
        results = run_nas_benchmark(args.data, dataset, strategies, args.budget, args.seeds,
                                    workers=args.workers, first_seed=args.first_seed)
        optimum = NB201Benchmark(args.data, dataset=dataset).best_test()
        print(f"\nNAS-Bench-201 {dataset}: budget {args.budget}, {args.seeds} seeds from {args.first_seed} "
              f"(optimum {optimum:.2f})")
        print(format_table(results, optimum))
        (out / f"nas_nb201_{dataset}.json").write_text(json.dumps(results, indent=1))
        write_comparison(results, out / f"nas_nb201_{dataset}.png")


if __name__ == "__main__":
    main()
