"""The published NAS-Bench-201 one-shot protocol on CIFAR-10: search, derive the cell, look it up in the table.

For a user who has CIFAR-10 (the official ``cifar-10-python.tar.gz`` or the batches extracted from it, read and
checksum-verified by hypernas's datasets module) and a GPU. As in NAS-Bench-201 (Dong & Yang 2020) and NATS-Bench, every method searches the
NB201 supernet (C=16, N=5 cells per stage, batch 64) on the CIFAR-10 training split cut in two halves
(search-train: the weights, search-val: the architecture), with random crop (padding 4), horizontal flip and
per-channel normalisation; SGD lr 0.025 with cosine schedule to 0.001, momentum 0.9, weight decay 5e-4 (the
official configs; they add Nesterov momentum, which hypernas's searches do not); the architecture by Adam
(3e-4, betas (0.5, 0.999), weight decay 1e-3). Epochs: 50 for DARTS and its remedies, 240 for GDAS (the
official ``GDAS.config``; the paper says 250), 250 for SPOS's supernet, whose subnets are then searched by
regularised evolution scored with inherited weights (``--spos-trials``). The derived cell's CIFAR-10 test
accuracy after 200 epochs comes from the NB201 table; the table prints mean +/- std over seeds beside the
published numbers.

    PYTHONPATH=src python bench/oneshot_nb201_protocol.py --cifar ~/data/cifar10 --device cuda --seeds 3 \\
        --methods darts1,darts2,gdas,spos,darts-minus,beta-darts --json nb201_protocol.json

The halves are class-stratified and seeded (``--split-seed``), not the official ``cifar10-valid`` index file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "nb201.csv.gz"
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)  # CIFAR-10's per-channel statistics
METHODS: dict[str, dict[str, Any]] = {
    "darts1": {"search": "darts", "epochs": 50, "order": 1},
    "darts2": {"search": "darts", "epochs": 50, "order": 2},
    "gdas": {"search": "gdas", "epochs": 240},
    "spos": {"search": "spos", "epochs": 250},
    "darts-minus": {"search": "darts", "epochs": 50, "order": 1, "aux_skip": True},
    "beta-darts": {"search": "darts", "epochs": 50, "order": 1, "beta_decay": 25.0},
}
PUBLISHED: dict[str, tuple[float, str]] = {
    "darts1": (54.30, "NAS-Bench-201 (DARTS-V1): the all-skip collapse"),
    "darts2": (54.30, "NAS-Bench-201 (DARTS-V2): the all-skip collapse"),
    "gdas": (93.61, "NAS-Bench-201, 93.61 +/- 0.09"),
    "darts-minus": (93.80, "DARTS- (Chu et al. 2021), 93.80 +/- 0.40"),
    "beta-darts": (94.36, "beta-DARTS (Ye et al. 2022), 94.36 +/- 0.00"),
}


class SearchBatches:
    """One split of uint8 images as a data loader: every pass over it is one epoch of shuffled, augmented
    (random crop with padding 4, horizontal flip) and normalised float batches, drawn from its own seed."""

    def __init__(self, x: Any, y: Any, batch_size: int, seed: int, device: Any) -> None:
        import torch

        from hypernas.estimate.train.augment import Augment, HorizontalFlip, Normalize, RandomCrop

        self.x, self.y = x.to(device), y.to(device)
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.augment = Augment([RandomCrop(4), HorizontalFlip(), Normalize(list(MEAN), list(STD))])

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        import torch

        order = torch.randperm(len(self.y), generator=self.generator).to(self.x.device)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.augment(self.x[idx].float().div_(255.0), self.generator), self.y[idx]


def load_halves(cifar: str, split_seed: int) -> tuple[Any, Any]:
    """The CIFAR-10 training split from the folder ``cifar``, cut in two class-stratified halves of uint8 images."""
    from hypernas.estimate.train.datasets import load_dataset
    from hypernas.estimate.train.splits import stratified_indices

    data = load_dataset("cifar10", root=cifar, download=False).train
    half, rest = stratified_indices(data.y.numpy(), [0.5], split_seed)
    return data.subset(half), data.subset(rest)


def search_cell(method: str, seed: int, args: argparse.Namespace, halves: tuple[Any, Any]) -> dict[str, Any]:
    """Run ``method`` with ``seed``; the derived cell, the epochs run and the seconds taken."""
    import torch

    from hypernas.oneshot import DARTSSearch, GDASSearch, nb201_supernet
    from hypernas.space.arch.nb201 import NB201Cell

    spec = dict(METHODS[method])
    kind, published_epochs = spec.pop("search"), spec.pop("epochs")
    epochs = args.epochs or published_epochs
    device = torch.device(args.device)
    train = SearchBatches(halves[0].x, halves[0].y, args.batch, seed, device)
    common = {"epochs": epochs, "batch_size": args.batch, "weight_decay": 5e-4, "seed": seed}
    start = time.perf_counter()
    if kind == "spos":
        genotype = _spos(seed, epochs, args, train, halves, device)
        history: list[Any] = []
    else:
        val = SearchBatches(halves[1].x, halves[1].y, args.batch, seed + 1, device)
        supernet = nb201_supernet(channels=args.channels, cells=args.cells, seed=seed).to(device)
        search = DARTSSearch(**common, **spec) if kind == "darts" else GDASSearch(**common, **spec)
        result = search.search(supernet, train, val, callback=_progress(method, seed, epochs) if args.progress else None)
        genotype, history = result.genotype, result.history
    seconds = time.perf_counter() - start
    return {"seed": seed, "genotype": genotype, "epochs": epochs, "seconds": seconds,
            "skips": NB201Cell().to_ops(genotype).count("skip_connect"),
            "skip_weight": history[-1]["collapse"]["skip_weight"]["cell"] if history else None}


def _spos(seed: int, epochs: int, args: argparse.Namespace, train: SearchBatches, halves: tuple[Any, Any],
          device: Any) -> str:
    """SPOS: the single-path supernet trained on search-train, then regularised evolution over its subnets scored
    on search-val with inherited weights and re-estimated batch-norm statistics."""
    import hypernas as hn
    from hypernas.estimate.train.augment import Normalize
    from hypernas.oneshot import SPOSSearch, SupernetObjective, nb201_single_path

    supernet = nb201_single_path(channels=args.channels, cells=args.cells, seed=seed).to(device)
    SPOSSearch(epochs=epochs, batch_size=args.batch, weight_decay=5e-4, seed=seed).train(
        supernet, train, callback=_progress("spos", seed, epochs) if args.progress else None)
    normalize = Normalize(list(MEAN), list(STD))
    plain = [(normalize(h.x.float().div(255.0)).to(device), h.y.to(device)) for h in halves]
    objective = SupernetObjective(supernet, plain[0], plain[1], batch_size=256, seed=seed)
    study = hn.create_study(strategy="evolution", direction="maximize", seed=seed)
    study.optimize(objective, hn.Space(cell=supernet.space), n_trials=args.spos_trials)
    return str(study.best_trial.params["cell"])


def _progress(method: str, seed: int, epochs: int) -> Any:
    def show(record: dict[str, Any]) -> None:
        skips = f", skips {record['collapse']['skips']['cell']}" if "collapse" in record else ""
        print(f"  {method} seed {seed}: epoch {record['epoch']}/{epochs}, train loss {record['train_loss']:.3f}{skips}",
              flush=True)
    return show


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.fmean(values):.2f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:.2f}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", required=True, help="the folder holding the official cifar-10-python.tar.gz, or "
                        "the batches extracted from it (cifar-10-batches-py/)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, of: {', '.join(METHODS)}")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--device", default="cuda", help="cuda or cpu")
    parser.add_argument("--epochs", type=int, default=0, help="every method's epochs (default: each as published)")
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--cells", type=int, default=5, help="cells per stage (N)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--spos-trials", type=int, default=100, help="subnets the evolution over SPOS scores")
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--table", default=str(TABLE), help="the NB201 table (CSV, optionally gzipped)")
    parser.add_argument("--json", help="write the results there")
    parser.add_argument("--progress", action="store_true", help="a line per search epoch")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        parser.error(f"--methods: unknown {unknown[0] if unknown else 'empty list'!r}; allowed: {', '.join(METHODS)}")
    if args.device not in ("cuda", "cpu"):
        parser.error(f"--device must be cuda or cpu, got {args.device!r}")

    import torch

    from hypernas.estimate.tabular import NB201Benchmark

    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: CUDA is not available here; use --device cpu")
    table = NB201Benchmark(args.table, dataset="cifar10")
    halves = load_halves(args.cifar, args.split_seed)
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    for method in methods:
        for seed in range(args.seeds):
            run = search_cell(method, seed, args, halves)
            run["cifar10_test_200"] = table.lookup(run["genotype"])[1]
            results[method].append(run)
            print(f"{method} seed {seed}: {run['genotype']} -> {run['cifar10_test_200']:.2f} "
                  f"({run['seconds']:.0f} s)", flush=True)
    print(f"\nNB201 one-shot protocol on CIFAR-10: C={args.channels}, N={args.cells}, batch {args.batch}, "
          f"{args.seeds} seed(s), {args.device}")
    print("| method | CIFAR-10 test (NB201 table) | published | skips in cell | s/search |")
    print("|---|---|---|---|---|")
    summary: dict[str, Any] = {}
    for method, runs in results.items():
        accs = [r["cifar10_test_200"] for r in runs]
        skips = [float(r["skips"]) for r in runs]
        published = PUBLISHED.get(method)
        summary[method] = {"mean": statistics.fmean(accs), "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                           "published": published[0] if published else None,
                           "published_source": published[1] if published else None, "runs": runs}
        print(f"| {method} | {_mean_std(accs)} | {f'{published[0]:.2f}' if published else 'not in NB201'} "
              f"| {_mean_std(skips)} | {statistics.fmean(r['seconds'] for r in runs):.0f} |")
    out = {"args": vars(args), "methods": summary}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
