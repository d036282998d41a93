"""``hypernas bench nas``: its arguments, the strategies as written on the command line, and the
table it prints; the runs themselves are the harness's."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hypernas.cli.bench.harness import SPACES, run_nas_benchmark
from hypernas.cli.options import output_file
from hypernas.errors import ConfigError
from hypernas.estimate.tabular import NB201Benchmark


def add_parsers(subparsers: Any) -> None:
    """Add ``bench nas`` to the ``hypernas`` command's subparsers; the handler is :func:`cmd_bench`."""
    bench = subparsers.add_parser("bench", help="benchmark search strategies")
    sub = bench.add_subparsers(dest="bench_command", metavar="BENCHMARK", required=True)
    nas = sub.add_parser("nas", help="NAS strategies on a tabular benchmark (NAS-Bench-201)")
    nas.add_argument("--space", default="nb201", choices=SPACES,
                     help="nb201: the cell as one genotype (NAS strategies); nb201-ops: one categorical per edge "
                          "(also tpe, gp) (default: nb201)")
    nas.add_argument("--data", required=True, help="benchmark table, e.g. ../shared/benchmarks/nb201.csv.gz")
    nas.add_argument("--dataset", default="cifar10", help="column prefix D: D_valid_12 is searched, D_test_200 reported")
    nas.add_argument("--strategies", default="random,evolution,optuna-tpe",
                     help="comma-separated hypernas strategies (options as name:key=value:key=value) "
                          "and/or optuna-tpe, optuna-tpe-mv")
    nas.add_argument("--budget", type=int, default=100, help="queries per run (default: 100)")
    nas.add_argument("--seeds", type=int, default=10, help="independent runs per strategy (default: 10)")
    nas.add_argument("--first-seed", type=int, default=0, help="seed of the first run (default: 0)")
    nas.add_argument("--workers", type=int, default=1, help="processes running seeds in parallel (default: 1)")
    nas.add_argument("--pending", type=int, default=0, metavar="K",
                     help="also run every strategy with K trials always pending (K asynchronous workers, simulated "
                          "deterministically) and show both side by side (default: 0, sequential runs only)")
    nas.add_argument("--json", help="write the results as JSON to this file")
    nas.add_argument("--plot", help="draw incumbent test accuracy against queries to this image file")
    bench.set_defaults(handler=cmd_bench)


def parse_strategy(text: str) -> str | dict[str, Any]:
    """``"evolution"`` or ``"evolution:removal=worst:population_size=10"`` (options as YAML scalars)."""
    name, *options = text.strip().split(":")
    if not options:
        return name
    import yaml  # only to read options: building the parser (``hypernas --help``) does without PyYAML

    spec: dict[str, Any] = {"type": name}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise ConfigError(f"bench nas: strategy option {option!r} in {text!r} must look like key=value")
        spec[key] = yaml.safe_load(value)
    return spec


def format_table(results: Sequence[dict[str, Any]], optimum: float | None = None) -> str:
    """Mean ± std of the returned architectures' test accuracy, side by side."""
    ref = results[0]["mean"] if results else 0.0
    lines = [f"{'strategy':<16} {'test acc (mean ± std)':>22} {'vs ' + results[0]['strategy'] if results else '':>16}"
             f"{' regret' if optimum is not None else ''} {'seconds':>8}"]
    for r in results:
        regret = f" {optimum - r['mean']:6.3f}" if optimum is not None else ""
        lines.append(f"{r['strategy']:<16} {r['mean']:>13.3f} ± {r['std']:<6.3f} {r['mean'] - ref:>+16.3f}{regret} "
                     f"{r['seconds']:>8.1f}")
    return "\n".join(lines)


def format_pending_table(sequential: Sequence[dict[str, Any]], parallel: Sequence[dict[str, Any]]) -> str:
    """Each strategy's sequential runs beside its runs with pending trials: means ± std and their difference,
    with the standard error of the mean of the per-seed differences (the runs share their seeds)."""
    k = parallel[0]["pending"] if parallel else 0
    lines = [f"{'strategy':<24} {'sequential':>17} {f'pending {k}':>17} {'difference':>10} {'± se':>6} {'seconds':>8}"]
    for seq, par in zip(sequential, parallel):
        diffs = np.asarray(par["per_seed"]) - np.asarray(seq["per_seed"])
        se = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else float("nan")
        name = seq["strategy"] + (f" [{seq['space']}]" if seq["space"] != "nb201" else "")
        lines.append(f"{name:<24} {seq['mean']:>8.3f} ± {seq['std']:<6.3f} {par['mean']:>8.3f} ± "
                     f"{par['std']:<6.3f} {par['mean'] - seq['mean']:>+10.3f} {se:>6.3f} "
                     f"{seq['seconds'] + par['seconds']:>8.1f}")
    return "\n".join(lines)


def cmd_bench(args: argparse.Namespace) -> int:
    """Run ``hypernas bench nas`` from parsed arguments; prints the table, writes JSON and plot."""
    strategies = [parse_strategy(s) for s in args.strategies.split(",") if s.strip()]
    if not strategies:
        raise ConfigError("bench nas: --strategies is empty; give e.g. random,evolution,optuna-tpe")
    for option, value, low in (("--budget", args.budget, 1), ("--seeds", args.seeds, 1), ("--workers", args.workers, 1),
                               ("--first-seed", args.first_seed, 0), ("--pending", args.pending, 0)):
        if value < low:
            raise ConfigError(f"bench nas: {option} must be at least {low}, got {value}")
    json_file = output_file("--json", args.json) if args.json else None  # checked before the runs, not after
    plot_file = output_file("--plot", args.plot, PLOT_TYPES) if args.plot else None
    results = run_nas_benchmark(args.data, args.dataset, strategies, args.budget, args.seeds, args.space, args.workers,
                                args.first_seed)
    parallel = run_nas_benchmark(args.data, args.dataset, strategies, args.budget, args.seeds, args.space, args.workers,
                                 args.first_seed, args.pending) if args.pending else []
    optimum = NB201Benchmark(args.data, dataset=args.dataset).best_test()
    print(f"NAS-Bench-201 {args.dataset} ({args.space}): budget {args.budget}, {args.seeds} seeds, "
          f"returned architecture's {args.dataset}_test_200 (optimum {optimum:.2f})")
    print(format_pending_table(results, parallel) if parallel else format_table(results, optimum))
    if json_file:
        keys = ("strategy", "dataset", "space", "pending", "budget", "seeds", "mean", "std", "per_seed", "curve",
                "curves")
        json_file.write_text(json.dumps([{k: r[k] for k in keys} for r in [*results, *parallel]], indent=2))
    if plot_file:
        write_comparison([*results, *({**r, "strategy": f"{r['strategy']}, pending {r['pending']}"} for r in parallel)],
                         plot_file)
    return 0


PLOT_TYPES = ("html", "png", "svg", "pdf")
"""What ``--plot`` writes: an interactive page (plotly.js embedded, opens offline) or an image drawn by matplotlib."""


def write_comparison(results: list[dict[str, Any]], path: Path) -> None:
    """The strategies' incumbent curves (mean over seeds, a band of one standard deviation) to ``path``."""
    from hypernas.viz import plot_strategy_comparison, save_image

    fig = plot_strategy_comparison(results)
    if path.suffix.lower() == ".html":
        fig.write_html(path, include_plotlyjs=True)
    else:
        save_image(fig, path)
