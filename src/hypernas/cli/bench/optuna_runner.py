"""Optuna's TPE on NAS-Bench-201 as a reference for ``hypernas bench nas``: the cell as one
categorical parameter per edge, scored through the same lookup as hypernas's strategies.

Optuna is imported only when such a run starts (``pip install 'hypernas[bench]'``).
"""

from __future__ import annotations

from typing import Any

from hypernas.errors import ConfigError
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.space import NB201Cell

OPTUNA_STRATEGIES = ("optuna-tpe", "optuna-tpe-mv")


def run_optuna(bench: NB201Benchmark, strategy: str, budget: int, seed: int) -> list[tuple[float, float]]:
    """``(signal, test)`` of each of ``budget`` queries by Optuna's TPE (multivariate for ``optuna-tpe-mv``)."""
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
