"""The harness of `hypernas bench nas`: strategies over seeds, the returned architecture's test accuracy."""

from __future__ import annotations

import pytest

from hypernas.cli.bench.harness import incumbent_curve, label, run_nas_benchmark
from hypernas.errors import ConfigError
from tests.cli.bench.nb201_table import NB201_TABLE, needs_table


def test_incumbent_curve_follows_the_signal_not_the_test():
    queries = [(50.0, 60.0), (float("nan"), float("nan")), (70.0, 65.0), (60.0, 99.0)]
    assert incumbent_curve(queries) == [60.0, 60.0, 65.0, 65.0]


def test_unknown_strategy_and_space():
    with pytest.raises(ConfigError, match="bench nas: strategy must be one of .*'optuna-tpe-mv', got 'annealing'"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["annealing"], budget=5, seeds=1)
    with pytest.raises(ConfigError, match="bench nas: space must be one of 'nb201', got 'darts'"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=5, seeds=1, space="darts")
    with pytest.raises(ConfigError, match="bench nas: budget must be an integer >= 1, got 0"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=0, seeds=1)


def test_label_names_the_options():
    assert label("random") == "random"
    assert label({"type": "evolution", "removal": "worst", "population_size": 10}) == "evolution(removal=worst,population_size=10)"


@needs_table
def test_results_per_strategy():
    results = run_nas_benchmark(NB201_TABLE, "cifar100", ["random", {"type": "evolution", "population_size": 5}],
                                budget=12, seeds=2)
    assert [r["strategy"] for r in results] == ["random", "evolution(population_size=5)"]
    for r in results:
        assert r["dataset"] == "cifar100" and r["budget"] == 12 and r["seeds"] == 2
        assert len(r["per_seed"]) == 2 and len(r["curve"]) == 12 and 0 < r["mean"] <= 73.52


@needs_table
def test_first_seed_picks_another_seed_set():
    shifted = run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=6, seeds=2, first_seed=3)[0]["per_seed"]
    plain = run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=6, seeds=5)[0]["per_seed"]
    assert shifted == plain[3:5]
    with pytest.raises(ConfigError, match="first_seed must be an integer >= 0, got -1"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=6, seeds=1, first_seed=-1)
