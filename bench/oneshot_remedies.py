"""DARTS's collapse and its remedies at equal budget: plain DARTS, DARTS- (auxiliary skip), beta-DARTS (beta
regularisation) and DARTS+ (early stopping) on scikit-learn's digits, NB201 supernet, same seeds, same run.

Each method searches the same supernet (same seed, same search-train / search-val halves of the digits) for
``--epochs`` epochs (early stopping may end sooner). Per method, mean +/- std over ``--seeds``: the final mean skip
weight over the cell's edges, the number of skip connections in the derived cell, the derived cell's CIFAR-10
200-epoch test accuracy in the NB201 table (for reference only: the search ran on digits), the epochs run and
the seconds per search; the ratio columns divide by plain DARTS's mean.

    PYTHONPATH=src nice -n 10 python bench/oneshot_remedies.py --seeds 5 --epochs 20 --batch 16 --arch-lr 1e-3 \\
        --channels 8 --cells 1 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "nb201.csv.gz"
METHODS: dict[str, dict[str, Any]] = {
    "DARTS": {},
    "DARTS- (aux_skip)": {"aux_skip": True},
    "beta-DARTS (beta_decay)": {"beta_decay": 25.0},
    "DARTS+ (early_stop)": {"early_stop": True},
}


def _digits_halves(split_seed: int) -> tuple[Any, Any]:
    """The digits as float tensors, cut into two class-stratified halves (search-train, search-val)."""
    from hypernas.estimate.train.datasets import load_dataset
    from hypernas.estimate.train.splits import stratified_indices
    from hypernas.estimate.train.trainer import as_float

    data = load_dataset("digits").train
    half, rest = stratified_indices(data.y.numpy(), [0.5], split_seed)
    return tuple((as_float(part.x), part.y) for part in (data.subset(half), data.subset(rest)))


def _run(options: dict[str, Any], seed: int, args: argparse.Namespace, train: Any, val: Any) -> dict[str, Any]:
    import torch

    from hypernas.oneshot import DARTSSearch, nb201_supernet

    torch.set_num_threads(1)

    supernet = nb201_supernet(channels=args.channels, cells=args.cells, in_channels=1, seed=seed)
    search = DARTSSearch(order=args.order, epochs=args.epochs, batch_size=args.batch, arch_lr=args.arch_lr, seed=seed,
                         **options)
    start = time.perf_counter()
    result = search.search(supernet, train, val)
    seconds = time.perf_counter() - start
    last = result.history[-1]
    return {"seed": seed, "genotype": result.genotype, "epochs": len(result.history), "seconds": seconds,
            "skip_weight": last["collapse"]["skip_weight"]["cell"], "skips": last["collapse"]["skips"]["cell"],
            "stopped": last.get("stopped"),
            "skip_weight_by_epoch": [r["collapse"]["skip_weight"]["cell"] for r in result.history]}


def _stats(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--cells", type=int, default=1, help="cells per stage")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--order", type=int, default=1, choices=(1, 2))
    parser.add_argument("--arch-lr", type=float, default=3e-4, help="the architecture's Adam lr (published: 3e-4)")
    parser.add_argument("--methods", default=",".join(METHODS), help="a comma-separated subset of: " + ", ".join(METHODS))
    parser.add_argument("--table", default=str(TABLE), help="the NB201 table (CSV, optionally gzipped)")
    parser.add_argument("--jobs", type=int, default=1, help="searches run at once, in as many processes")
    parser.add_argument("--json", help="write every run's result there")
    args = parser.parse_args()
    methods = {name: METHODS[name] for name in args.methods.split(",")} if args.methods else METHODS
    if "DARTS" not in methods:
        parser.error("--methods must include DARTS, the baseline of the ratios")

    import torch

    from hypernas.estimate.tabular import NB201Benchmark

    torch.set_num_threads(1)
    table = NB201Benchmark(args.table, dataset="cifar10")
    train, val = _digits_halves(0)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in methods}
    tasks = [(name, seed) for seed in range(args.seeds) for name in methods]
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run, methods[name], seed, args, train, val) for name, seed in tasks]
        for (name, seed), future in zip(tasks, futures):
            run = future.result()
            run["cifar10_test_200"] = table.lookup(run["genotype"])[1]
            runs[name].append(run)
            print(f"seed {seed} {name}: skip weight {run['skip_weight']:.3f}, skips {run['skips']}, "
                  f"epochs {run['epochs']}, {run['seconds']:.1f} s, {run['genotype']} "
                  f"({run['cifar10_test_200']:.2f})", flush=True)
    columns = ("skip_weight", "skips", "cifar10_test_200", "epochs", "seconds")
    base = {c: _stats([r[c] for r in runs["DARTS"]])[0] for c in columns}
    print(f"\nNB201 supernet C={args.channels}, {args.cells} cell(s)/stage, digits 8x8, order {args.order}, "
          f"{args.epochs} epochs, batch {args.batch}, arch lr {args.arch_lr:g}, {args.seeds} seeds, "
          f"1 thread per search, {args.jobs} search(es) at once")
    print("| method | skip weight | ratio | skips in cell | ratio | NB201 C10 test | epochs | s/search | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, results in runs.items():
        s = {c: _stats([float(r[c]) for r in results]) for c in columns}
        ratio = {c: f"{s[c][0] / base[c]:.2f}x" if base[c] else "-" for c in columns}

        print(f"| {name} | {s['skip_weight'][0]:.3f} ± {s['skip_weight'][1]:.3f} | {ratio['skip_weight']} "
              f"| {s['skips'][0]:.1f} ± {s['skips'][1]:.1f} | {ratio['skips']} "
              f"| {s['cifar10_test_200'][0]:.2f} ± {s['cifar10_test_200'][1]:.2f} "
              f"| {s['epochs'][0]:.1f} | {s['seconds'][0]:.1f} | {ratio['seconds']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
