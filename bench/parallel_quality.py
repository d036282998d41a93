"""Parallel quality on NAS-Bench-201: every strategy with K trials always pending beside its sequential run.

Usage: python bench/parallel_quality.py [--data ../shared/benchmarks/nb201.csv.gz] [--datasets cifar10,cifar100]
       [--seeds 30] [--budget 100] [--pending 4] [--workers 2] [--nas STRATEGIES] [--hpo STRATEGIES] [--out DIR]
The NAS strategies search the cell as one genotype (space ``nb201``), the HPO ones (TPE, GP) one categorical per
edge (``nb201-ops``); the pending runs simulate K asynchronous workers deterministically (``hypernas bench nas
--pending K``). Prints one table per dataset (strategy, sequential and pending mean ± std, their difference and the
standard error of the paired per-seed differences) and writes the runs as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from hypernas.cli.bench.command import format_pending_table, parse_strategy
from hypernas.cli.bench.harness import run_nas_benchmark

NAS = "random,evolution,evolution:removal=worst,nsga2,local,neat,predictor,qlearning,reinforce,reinforce:batch_size=4," \
      "hyperband"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / "nb201.csv.gz"))
    parser.add_argument("--datasets", default="cifar10,cifar100")
    parser.add_argument("--nas", default=NAS, help="strategies on the cell genotype (space nb201)")
    parser.add_argument("--hpo", default="tpe,gp", help="strategies on one categorical per edge (space nb201-ops)")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--pending", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets.split(","):
        start, load = time.perf_counter(), os.getloadavg()[1]
        rows: list[dict] = []
        sequential, parallel = [], []
        for space, names in (("nb201", args.nas), ("nb201-ops", args.hpo)):
            strategies = [parse_strategy(s) for s in names.split(",") if s.strip()]
            if not strategies:
                continue
            for pending, into in ((0, sequential), (args.pending, parallel)):
                results = run_nas_benchmark(args.data, dataset, strategies, args.budget, args.seeds, space,
                                            args.workers, pending=pending)
                into.extend(results)
                rows.extend(results)
        print(f"\nNAS-Bench-201 {dataset}: budget {args.budget}, {args.seeds} seeds, pending {args.pending} vs sequential "
              f"(ended {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC after {time.perf_counter() - start:.0f} s; "
              f"5-minute load average {load:.1f} at the start, {os.getloadavg()[1]:.1f} at the end)")
        print(format_pending_table(sequential, parallel))
        (out / f"parallel_quality_{dataset}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
