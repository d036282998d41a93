"""Optuna's TPE on NAS-Bench-201 as a reference for ``hypernas bench nas``: the cell as one
categorical parameter per edge, scored through the same lookup as hypernas's strategies.

Optuna is imported only when such a run starts (``pip install 'hypernas[bench]'``).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from hypernas.errors import ConfigError
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.space import NB201Cell

OPTUNA_STRATEGIES = ("optuna-tpe", "optuna-tpe-mv")


def run_optuna(bench: NB201Benchmark, strategy: str, budget: int, seed: int, pending: int = 0) -> list[tuple[float, float]]:
    """``(signal, test)`` of each of ``budget`` queries by Optuna's TPE (multivariate for ``optuna-tpe-mv``), with
    ``pending`` trials asked and not told at all times as in the harness (0: sequentially)."""
    try:
        import optuna
    except ImportError:
        raise ConfigError(f"strategy {strategy!r} needs Optuna: pip install 'hypernas[bench]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cell = NB201Cell()
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=strategy.endswith("-mv"))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    out: list[tuple[float, float]] = []

    def ask() -> tuple[Any, str]:
        trial = study.ask()
        return trial, cell.from_ops([trial.suggest_categorical(f"edge{i}_{j}", cell.ops) for i, j in cell.edges])

    def tell(trial: Any, arch: str) -> None:
        signal, test = bench.lookup(arch)
        out.append((signal, test))
        study.tell(trial, signal)

    outstanding: deque[tuple[Any, str]] = deque()
    for _ in range(budget):
        if len(outstanding) == max(pending, 1):
            tell(*outstanding.popleft())
        outstanding.append(ask())
    for trial, arch in outstanding:
        tell(trial, arch)
    return out
