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
    with pytest.raises(ConfigError, match="bench nas: space must be one of 'nb201', 'nb201-ops', got 'darts'"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=5, seeds=1, space="darts")
    with pytest.raises(ConfigError, match="bench nas: budget must be an integer >= 1, got 0"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=0, seeds=1)
    with pytest.raises(ConfigError, match="bench nas: pending must be an integer >= 0, got -2"):
        run_nas_benchmark(NB201_TABLE, "cifar10", ["random"], budget=5, seeds=1, pending=-2)


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


@needs_table
def test_one_pending_trial_is_a_sequential_run_and_more_change_the_run():
    """With one trial asked and not told at a time, every strategy runs exactly as sequentially."""
    strategies = ["random", {"type": "evolution", "population_size": 5}, {"type": "predictor", "n_initial": 4}]
    kwargs = {"budget": 12, "seeds": 2}
    sequential = run_nas_benchmark(NB201_TABLE, "cifar10", strategies, **kwargs)
    one = run_nas_benchmark(NB201_TABLE, "cifar10", strategies, pending=1, **kwargs)
    four = run_nas_benchmark(NB201_TABLE, "cifar10", strategies, pending=4, **kwargs)
    assert [r["curve"] for r in one] == [r["curve"] for r in sequential]
    assert [r["pending"] for r in four] == [4, 4, 4]
    assert four[2]["curve"] != sequential[2]["curve"]  # the predictor proposes while results are outstanding


@needs_table
def test_the_edge_space_runs_the_strategies_that_need_categoricals():
    results = run_nas_benchmark(NB201_TABLE, "cifar10", [{"type": "tpe", "n_startup_trials": 4}], budget=10, seeds=1,
                                space="nb201-ops", pending=2)
    assert results[0]["space"] == "nb201-ops" and 0 < results[0]["mean"] <= 94.38
