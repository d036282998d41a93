"""`hypernas bench nas` from its command line: strategies with options, the table, JSON and plot."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from hypernas.cli.bench.command import add_parsers, parse_strategy, write_comparison
from hypernas.errors import ConfigError
from tests.cli.bench.nb201_table import NB201_TABLE, needs_table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command"))
    return parser


@needs_table
def test_command_writes_json_and_plot(tmp_path, capsys):
    pytest.importorskip("optuna")
    out, plot = tmp_path / "r.json", tmp_path / "r.png"
    args = _parser().parse_args(["bench", "nas", "--data", str(NB201_TABLE), "--dataset", "cifar10", "--strategies",
                                 "random,optuna-tpe", "--budget", "8", "--seeds", "2", "--json", str(out), "--plot", str(plot)])
    assert args.handler(args) == 0
    rows = json.loads(out.read_text())
    assert [r["strategy"] for r in rows] == ["random", "optuna-tpe"]
    assert set(rows[0]) == {"strategy", "dataset", "space", "pending", "budget", "seeds", "mean", "std", "per_seed",
                            "curve", "curves"}
    assert len(rows[0]["curves"]) == 2 and all(len(c) == 8 for c in rows[0]["curves"])
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert "optuna-tpe" in capsys.readouterr().out
    page = tmp_path / "r.html"
    write_comparison(rows, page)  # the same plot as an interactive page that opens offline
    html = page.read_text()
    assert "optuna-tpe" in html and not re.search(r"<script\b[^>]*\bsrc\s*=", html)  # plotly.js inside


@needs_table
def test_pending_runs_side_by_side_with_the_sequential_ones(tmp_path, capsys):
    out = tmp_path / "r.json"
    args = _parser().parse_args(["bench", "nas", "--data", str(NB201_TABLE), "--strategies", "random,evolution",
                                 "--budget", "10", "--seeds", "2", "--pending", "3", "--json", str(out)])
    assert args.handler(args) == 0
    rows = json.loads(out.read_text())
    assert [(r["strategy"], r["pending"]) for r in rows] == [("random", 0), ("evolution", 0), ("random", 3),
                                                               ("evolution", 3)]
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == ["strategy", "sequential", "pending", "3"]
    random = lines[2].split()
    assert random[0] == "random" and float(random[7]) == pytest.approx(rows[2]["mean"] - rows[0]["mean"], abs=1e-3)


def test_negative_pending_is_refused(capsys):
    args = _parser().parse_args(["bench", "nas", "--data", "x", "--pending", "-1"])
    with pytest.raises(ConfigError, match="bench nas: --pending must be at least 0, got -1"):
        args.handler(args)


def test_strategy_options_on_the_command_line():
    assert parse_strategy("random") == "random"
    spec = parse_strategy("evolution:removal=worst:population_size=10")
    assert spec == {"type": "evolution", "removal": "worst", "population_size": 10}
    with pytest.raises(ConfigError, match="key=value"):
        parse_strategy("evolution:worst")


def test_first_seed_option():
    assert _parser().parse_args(["bench", "nas", "--data", "x", "--first-seed", "100"]).first_seed == 100
