import argparse
import json
from pathlib import Path

import pytest

from hypernas.errors import ConfigError
from hypernas.nasbench import add_bench_parser, incumbent_curve, run_nas_benchmark

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "nb201.csv.gz"
needs_data = pytest.mark.skipif(not SHARED.is_file(), reason="shared benchmark data is not beside the repository")


def test_incumbent_curve_follows_the_signal_not_the_test():
    queries = [(50.0, 60.0), (float("nan"), float("nan")), (70.0, 65.0), (60.0, 99.0)]
    assert incumbent_curve(queries) == [60.0, 60.0, 65.0, 65.0]


def test_unknown_strategy_and_space():
    with pytest.raises(ConfigError, match="unknown strategy 'annealing'"):
        run_nas_benchmark(SHARED, "cifar10", ["annealing"], budget=5, seeds=1)
    with pytest.raises(ConfigError, match="unknown space 'darts'"):
        run_nas_benchmark(SHARED, "cifar10", ["random"], budget=5, seeds=1, space="darts")


@needs_data
def test_results_per_strategy():
    results = run_nas_benchmark(SHARED, "cifar100", ["random", {"type": "evolution", "population_size": 5}],
                                budget=12, seeds=2)
    assert [r["strategy"] for r in results] == ["random", "evolution(population_size=5)"]
    for r in results:
        assert r["dataset"] == "cifar100" and r["budget"] == 12 and r["seeds"] == 2
        assert len(r["per_seed"]) == 2 and len(r["curve"]) == 12 and 0 < r["mean"] <= 73.52


@needs_data
def test_command_writes_json_and_plot(tmp_path, capsys):
    pytest.importorskip("optuna")
    parser = argparse.ArgumentParser()
    add_bench_parser(parser.add_subparsers(dest="command"))
    out, plot = tmp_path / "r.json", tmp_path / "r.png"
    args = parser.parse_args(["bench", "nas", "--data", str(SHARED), "--dataset", "cifar10", "--strategies",
                              "random,optuna-tpe", "--budget", "8", "--seeds", "2", "--json", str(out), "--plot", str(plot)])
    assert args.handler(args) == 0
    rows = json.loads(out.read_text())
    assert [r["strategy"] for r in rows] == ["random", "optuna-tpe"]
    assert set(rows[0]) == {"strategy", "dataset", "budget", "seeds", "mean", "std", "per_seed"}
    assert plot.stat().st_size > 0
    assert "optuna-tpe" in capsys.readouterr().out


def test_strategy_options_on_the_command_line():
    from hypernas.nasbench import label, parse_strategy

    assert parse_strategy("random") == "random"
    spec = parse_strategy("evolution:removal=worst:population_size=10")
    assert spec == {"type": "evolution", "removal": "worst", "population_size": 10}
    assert label(spec) == "evolution(removal=worst,population_size=10)"
    with pytest.raises(ConfigError, match="key=value"):
        parse_strategy("evolution:worst")


@needs_data
def test_first_seed_picks_another_seed_set():
    shifted = run_nas_benchmark(SHARED, "cifar10", ["random"], budget=6, seeds=2, first_seed=3)[0]["per_seed"]
    plain = run_nas_benchmark(SHARED, "cifar10", ["random"], budget=6, seeds=5)[0]["per_seed"]
    assert shifted == plain[3:5]
    with pytest.raises(ConfigError, match="first seed must be >= 0, got -1"):
        run_nas_benchmark(SHARED, "cifar10", ["random"], budget=6, seeds=1, first_seed=-1)
    parser = argparse.ArgumentParser()
    add_bench_parser(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["bench", "nas", "--data", "x", "--first-seed", "100"]).first_seed == 100
