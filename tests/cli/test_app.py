"""What an error does: a user mistake is one line and exit code 2, a bug shows its traceback and exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_cases import run_cli


@pytest.mark.parametrize("config, message", [
    ("space: {lr: {type: float, low: 1, high: 0}}\nobjective: cli_objectives:bowl\n", "low 1 is greater than high 0"),
    ("space: {lr: {type: flot, low: 0, high: 1}}\nobjective: cli_objectives:bowl\n", "unknown type 'flot'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\nn_trails: 3\n", "unknown key 'n_trails'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\nstrategy: rando\n", "unknown strategy 'rando'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:nothere\n", "has no attribute 'nothere'"),
    ("space: {lr: [1, 2]}\nobjective: no_such_module:f\n", "cannot import module 'no_such_module'"),
    ("space: {lr: [1, 2]}\n", "missing required key 'objective'"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\nn_trials: -3\n", "n_trials"),
    ("space: {a: {type: int, low: 0, high: 3, when: {b: 1}}}\nobjective: cli_objectives:bowl\n", "not in the space"),
    ("space: [unclosed\n", "not valid YAML"),
    ("space: {lr: [1, 2]}\nobjective: cli_objectives:bowl\npruner: {type: nope}\n", "unknown pruner 'nope'"),
])
def test_bad_configs_are_one_line_errors(workdir: Path, config: str, message: str) -> None:
    Path("bad.yaml").write_text(config)
    code, _, err = run_cli("run", "bad.yaml", "--storage", "s.db")
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("hypernas: error:")
    assert "Traceback" not in err


def test_usage_errors_are_one_line(workdir: Path) -> None:
    for args in (["run"], ["show"], ["export", "x", "--format", "xml"], ["frobnicate"]):
        code, _, err = run_cli(*args)
        assert code == 2
        assert err.count("\n") == 1 and "hypernas: error:" in err


def test_missing_config_file(workdir: Path) -> None:
    code, _, err = run_cli("run", "nope.yaml")
    assert code == 2 and "does not exist" in err
