"""``hypernas bench nas``: search strategies side by side on a tabular NAS benchmark.

For every strategy, ``seeds`` independent runs of ``budget`` queries on NAS-Bench-201: the search
sees only ``D_valid_12``; each run returns its best architecture by that signal, and the reported
quality is the returned architecture's ``D_test_200`` (the NATS-Bench protocol). Strategies are
hypernas strategy names (``random``, ``evolution``, ``predictor``, ...) or ``optuna-tpe`` /
``optuna-tpe-mv`` (Optuna's TPE, default / multivariate, the cell as 6 categorical parameters),
all driven through the same lookup.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from hypernas.errors import ConfigError
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.space import NB201Cell, Space
from hypernas.strategy import STRATEGIES, make_strategy
from hypernas.study import create_study

OPTUNA_STRATEGIES = ("optuna-tpe", "optuna-tpe-mv")
SPACES = ("nb201",)


def _run_hypernas(bench: NB201Benchmark, strategy: str | Mapping[str, Any], budget: int, seed: int) -> list[tuple[float, float]]:
    study = create_study(direction="maximize", seed=seed, strategy=make_strategy(strategy, seed=seed))
    study.optimize(bench, Space({"cell": NB201Cell()}), n_trials=budget, show_progress=False)
    out = []
    for t in study.get_trials():
        if t.values:
            out.append((t.values[0], float(t.user_attrs[bench.test_column])))
        else:
            out.append((float("nan"), float("nan")))
    return out


def _run_optuna(bench: NB201Benchmark, strategy: str, budget: int, seed: int) -> list[tuple[float, float]]:
    try:
        import optuna
    except ImportError:
        raise ConfigError(f"strategy {strategy!r} needs Optuna: pip install 'hypernas[bench]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cell = NB201Cell()
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=strategy.endswith("-mv"))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    out: list[tuple[float, float]] = []

    def objective(trial: Any) -> float:
        ops = [trial.suggest_categorical(f"edge{i}_{j}", cell.ops) for i, j in cell.edges]
        signal, test = bench.lookup(cell.from_ops(ops))
        out.append((signal, test))
        return signal

    study.optimize(objective, n_trials=budget)
    return out


def incumbent_curve(queries: Sequence[tuple[float, float]]) -> list[float]:
    """Test accuracy of the best-by-signal architecture after each query (NaN before the first result)."""
    curve, best_signal, best_test = [], -np.inf, float("nan")
    for signal, test in queries:
        if signal == signal and signal > best_signal:  # skips NaN
            best_signal, best_test = signal, test
        curve.append(best_test)
    return curve


def _one_run(data: str, dataset: str, strategy: str | Mapping[str, Any], budget: int, seed: int) -> list[float]:
    bench = NB201Benchmark(data, dataset=dataset)
    runner = _run_optuna if strategy in OPTUNA_STRATEGIES else _run_hypernas
    return incumbent_curve(runner(bench, strategy, budget, seed))


def label(strategy: str | Mapping[str, Any]) -> str:
    """A strategy's name, with its options when it is given as ``{type: name, **options}``."""
    if isinstance(strategy, str):
        return strategy
    options = ",".join(f"{k}={v}" for k, v in strategy.items() if k != "type")
    return f"{strategy.get('type')}({options})"


def parse_strategy(text: str) -> str | dict[str, Any]:
    """``"evolution"`` or ``"evolution:removal=worst:population_size=10"`` (options as YAML scalars)."""
    import yaml

    name, *options = text.strip().split(":")
    if not options:
        return name
    spec: dict[str, Any] = {"type": name}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise ConfigError(f"bench nas: strategy option {option!r} in {text!r} must look like key=value")
        spec[key] = yaml.safe_load(value)
    return spec


def check_strategies(strategies: Sequence[str | Mapping[str, Any]]) -> None:
    """Raise :class:`ConfigError` for a name that is neither a hypernas strategy nor an Optuna one."""
    for spec in strategies:
        name = spec if isinstance(spec, str) else spec.get("type")
        if name not in STRATEGIES and name not in OPTUNA_STRATEGIES:
            known = ", ".join(sorted(STRATEGIES) + list(OPTUNA_STRATEGIES))
            raise ConfigError(f"bench nas: unknown strategy {name!r}; known: {known}")


def run_nas_benchmark(data: str | Path, dataset: str, strategies: Sequence[str | Mapping[str, Any]], budget: int = 100, seeds: int = 10,
                      space: str = "nb201", workers: int = 1, first_seed: int = 0) -> list[dict[str, Any]]:
    """Run every strategy ``seeds`` times for ``budget`` queries; one result dict per strategy.

    A strategy is a name or a mapping ``{type: name, **options}`` for a configured hypernas strategy.
    The runs use seeds ``first_seed, ..., first_seed + seeds - 1`` (another set to tune on than to report).

    Each dict has ``strategy, dataset, budget, seeds, mean, std, per_seed`` (the returned
    architectures' test accuracy), ``curve`` (mean incumbent test accuracy per query) and ``seconds``.
    """
    if space not in SPACES:
        raise ConfigError(f"bench nas: unknown space {space!r}; allowed: {', '.join(SPACES)}")
    if budget < 1 or seeds < 1 or workers < 1:
        raise ConfigError(f"bench nas: budget, seeds and workers must be >= 1, got {budget}, {seeds}, {workers}")
    if first_seed < 0:
        raise ConfigError(f"bench nas: first seed must be >= 0, got {first_seed}")
    check_strategies(strategies)
    NB201Benchmark(data, dataset=dataset)  # fail early on a bad file or dataset
    results = []
    for name in strategies:
        start = time.perf_counter()
        args = [(str(data), dataset, name, budget, s) for s in range(first_seed, first_seed + seeds)]
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                curves = list(pool.map(_one_run, *zip(*args)))
        else:
            curves = [_one_run(*a) for a in args]
        finals = [c[-1] for c in curves]
        results.append({"strategy": label(name), "dataset": dataset, "budget": budget, "seeds": seeds,
                        "mean": float(np.mean(finals)), "std": float(np.std(finals)), "per_seed": finals,
                        "curve": [float(x) for x in np.nanmean(np.asarray(curves, dtype=float), axis=0)],
                        "seconds": time.perf_counter() - start})
    return results


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


def plot_curves(results: Sequence[dict[str, Any]], path: str | Path) -> None:
    """Incumbent test accuracy (mean over seeds) against the number of queries, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        curve = np.asarray(r["curve"])
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"{r['strategy']} ({r['mean']:.2f})")
    if results:
        finite = [c for r in results for c in r["curve"] if c == c]
        ax.set_ylim(np.percentile(finite, 20) if finite else None, None)
        ax.set_title(f"NAS-Bench-201 {results[0]['dataset']}: {results[0]['seeds']} seeds")
    ax.set_xlabel("queries")
    ax.set_ylabel("test accuracy of the incumbent (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def add_bench_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``bench nas`` to the ``hypernas`` command's subparsers; the handler is :func:`cmd_bench`."""
    bench = subparsers.add_parser("bench", help="benchmark search strategies")
    sub = bench.add_subparsers(dest="bench_command", metavar="BENCHMARK", required=True)
    nas = sub.add_parser("nas", help="NAS strategies on a tabular benchmark (NAS-Bench-201)")
    nas.add_argument("--space", default="nb201", choices=SPACES, help="architecture space (default: nb201)")
    nas.add_argument("--data", required=True, help="benchmark table, e.g. ../shared/benchmarks/nb201.csv.gz")
    nas.add_argument("--dataset", default="cifar10", help="column prefix D: D_valid_12 is searched, D_test_200 reported")
    nas.add_argument("--strategies", default="random,evolution,optuna-tpe",
                     help="comma-separated hypernas strategies (options as name:key=value:key=value) "
                          "and/or optuna-tpe, optuna-tpe-mv")
    nas.add_argument("--budget", type=int, default=100, help="queries per run (default: 100)")
    nas.add_argument("--seeds", type=int, default=10, help="independent runs per strategy (default: 10)")
    nas.add_argument("--first-seed", type=int, default=0, help="seed of the first run (default: 0)")
    nas.add_argument("--workers", type=int, default=1, help="processes running seeds in parallel (default: 1)")
    nas.add_argument("--json", help="write the results as JSON to this file")
    nas.add_argument("--plot", help="draw incumbent test accuracy against queries to this image file")
    bench.set_defaults(handler=cmd_bench)
    return bench


def cmd_bench(args: argparse.Namespace) -> int:
    """Run ``hypernas bench nas`` from parsed arguments; prints the table, writes JSON and plot."""
    strategies = [parse_strategy(s) for s in args.strategies.split(",") if s.strip()]
    if not strategies:
        raise ConfigError("bench nas: --strategies is empty; give e.g. random,evolution,optuna-tpe")
    results = run_nas_benchmark(args.data, args.dataset, strategies, args.budget, args.seeds, args.space, args.workers,
                                args.first_seed)
    optimum = NB201Benchmark(args.data, dataset=args.dataset).best_test()
    print(f"NAS-Bench-201 {args.dataset}: budget {args.budget}, {args.seeds} seeds, "
          f"returned architecture's {args.dataset}_test_200 (optimum {optimum:.2f})")
    print(format_table(results, optimum))
    if args.json:
        keys = ("strategy", "dataset", "budget", "seeds", "mean", "std", "per_seed")
        Path(args.json).write_text(json.dumps([{k: r[k] for k in keys} for r in results], indent=2))
    if args.plot:
        plot_curves(results, args.plot)
    return 0
