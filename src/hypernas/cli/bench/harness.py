"""The harness of ``hypernas bench nas``: search strategies over seeds on NAS-Bench-201.

For every strategy, ``seeds`` independent runs of ``budget`` queries: the search sees only
``D_valid_12``; each run returns its best architecture by that signal, and the reported quality is
the returned architecture's ``D_test_200`` (the NATS-Bench protocol). Strategies are hypernas
strategy names (``random``, ``evolution``, ``predictor``, ...) or ``optuna-tpe`` /
``optuna-tpe-mv`` (Optuna's TPE, default / multivariate), all driven through the same lookup.

The space ``nb201`` is the cell as one genotype (what the NAS strategies search); ``nb201-ops`` is
the same cells as one categorical parameter per edge (what TPE and GP search). With ``pending=K``
the runs simulate ``K`` asynchronous workers deterministically: ``K`` trials are asked and not told
at all times; the oldest is told, then a new one asked (each proposal sees the ``K - 1`` others
pending), until ``budget`` trials are asked; the rest are told in order.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from hypernas.cli.bench.optuna_runner import OPTUNA_STRATEGIES, run_optuna
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.space import Categorical, NB201Cell, Space
from hypernas.strategy import STRATEGIES, make_strategy
from hypernas.study import Trial, create_study
from hypernas.validate import check_choice, check_int

SPACES = ("nb201", "nb201-ops")
CELL = NB201Cell()


def edge_name(i: int, j: int) -> str:
    """The parameter of edge ``i -> j`` in the space ``nb201-ops`` (and in the Optuna runs)."""
    return f"edge{i}_{j}"


def search_space(space: str) -> Space:
    """The NAS-Bench-201 cells as one genotype (``nb201``) or as one categorical per edge (``nb201-ops``)."""
    if space == "nb201":
        return Space({"cell": NB201Cell()})
    return Space({edge_name(i, j): Categorical(list(CELL.ops)) for i, j in CELL.edges})


class _Lookup:
    """The benchmark as an objective for either space: the cell is the ``cell`` parameter or built from the edges."""

    def __init__(self, bench: NB201Benchmark) -> None:
        self.bench = bench

    def __call__(self, trial: Trial) -> float:
        params = trial.params
        arch = params["cell"] if "cell" in params else CELL.from_ops([params[edge_name(i, j)] for i, j in CELL.edges])
        signal, test = self.bench.lookup(arch)
        trial.set_user_attr(self.bench.test_column, test)
        return signal


def _run_hypernas(bench: NB201Benchmark, strategy: str | Mapping[str, Any], budget: int, seed: int, space: str,
                  pending: int) -> list[tuple[float, float]]:
    study = create_study(direction="maximize", seed=seed, strategy=make_strategy(strategy, seed=seed))
    objective = _Lookup(bench)
    if not pending:
        study.optimize(objective, search_space(space), n_trials=budget, show_progress=False)
    else:
        study.set_space(search_space(space))
        outstanding: deque[Trial] = deque()
        for _ in range(budget):
            if len(outstanding) == pending:
                trial = outstanding.popleft()
                study.tell(trial, objective(trial))
            outstanding.append(study.ask())
        for trial in outstanding:
            study.tell(trial, objective(trial))
    out = []
    for t in study.get_trials():
        if t.values:
            out.append((t.values[0], float(t.user_attrs[bench.test_column])))
        else:
            out.append((float("nan"), float("nan")))
    return out


def incumbent_curve(queries: Sequence[tuple[float, float]]) -> list[float]:
    """Test accuracy of the best-by-signal architecture after each query (NaN before the first result)."""
    curve, best_signal, best_test = [], -np.inf, float("nan")
    for signal, test in queries:
        if signal == signal and signal > best_signal:  # skips NaN
            best_signal, best_test = signal, test
        curve.append(best_test)
    return curve


def _one_run(data: str, dataset: str, strategy: str | Mapping[str, Any], budget: int, seed: int, space: str,
             pending: int) -> list[float]:
    bench = NB201Benchmark(data, dataset=dataset)
    if isinstance(strategy, str) and strategy in OPTUNA_STRATEGIES:
        return incumbent_curve(run_optuna(bench, strategy, budget, seed, pending))
    return incumbent_curve(_run_hypernas(bench, strategy, budget, seed, space, pending))


def label(strategy: str | Mapping[str, Any]) -> str:
    """A strategy's name, with its options when it is given as ``{type: name, **options}``."""
    if isinstance(strategy, str):
        return strategy
    options = ",".join(f"{k}={v}" for k, v in strategy.items() if k != "type")
    return f"{strategy.get('type')}({options})"


def run_nas_benchmark(data: str | Path, dataset: str, strategies: Sequence[str | Mapping[str, Any]], budget: int = 100, seeds: int = 10,
                      space: str = "nb201", workers: int = 1, first_seed: int = 0,
                      pending: int = 0) -> list[dict[str, Any]]:
    """Run every strategy ``seeds`` times for ``budget`` queries; one result dict per strategy.

    A strategy is a name or a mapping ``{type: name, **options}`` for a configured hypernas strategy.
    The runs use seeds ``first_seed, ..., first_seed + seeds - 1`` (another set to tune on than to report).
    With ``pending`` > 0 they keep that many trials asked and not told (see the module's docstring);
    0 runs the study sequentially.

    Each dict has ``strategy, dataset, space, pending, budget, seeds, mean, std, per_seed`` (the returned
    architectures' test accuracy), ``curve`` (mean incumbent test accuracy per query), ``curves`` (each
    seed's incumbent test accuracy per query) and ``seconds``.
    """
    check_choice("bench nas", "space", space, SPACES)
    for name, value in (("budget", budget), ("seeds", seeds), ("workers", workers)):
        check_int("bench nas", name, value, 1)
    check_int("bench nas", "first_seed", first_seed, 0)
    check_int("bench nas", "pending", pending, 0)
    known = [*sorted(STRATEGIES), *OPTUNA_STRATEGIES]
    for spec in strategies:
        check_choice("bench nas", "strategy", spec if isinstance(spec, str) else spec.get("type"), known)
    NB201Benchmark(data, dataset=dataset)  # fail early on a bad file or dataset
    results = []
    for strategy in strategies:
        start = time.perf_counter()
        args = [(str(data), dataset, strategy, budget, s, space, pending) for s in range(first_seed, first_seed + seeds)]
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                curves = list(pool.map(_one_run, *zip(*args)))
        else:
            curves = [_one_run(*a) for a in args]
        finals = [c[-1] for c in curves]
        results.append({"strategy": label(strategy), "dataset": dataset, "space": space, "pending": pending,
                        "budget": budget, "seeds": seeds,
                        "mean": float(np.mean(finals)), "std": float(np.std(finals)), "per_seed": finals,
                        "curve": [float(x) for x in np.nanmean(np.asarray(curves, dtype=float), axis=0)],
                        "curves": [[float(x) for x in c] for c in curves],
                        "seconds": time.perf_counter() - start})
    return results
