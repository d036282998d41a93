"""`hypernas run` with an objective that suggests its own parameters: no space in the config."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypernas import TrialState, load_study
from tests.cli.cli_cases import run_cli


def test_a_config_without_a_space_runs_a_suggesting_objective(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suggesting.py").write_text(textwrap.dedent("""
        def objective(trial):
            x = trial.suggest_float("x", -10, 10)
            if trial.suggest_categorical("shift", [True, False]):
                x += trial.suggest_int("by", 1, 3)
            return (x - 2) ** 2
    """))
    (tmp_path / "dbr.yaml").write_text("objective: suggesting:objective\nstrategy: tpe\nn_trials: 8\nseed: 0\n")
    code, out, err = run_cli("run", "dbr.yaml", "--storage", "s.db", "--quiet")
    assert code == 0, err
    assert "Best trial #" in out and "x=" in out
    study = load_study("dbr", "s.db")
    assert len(study.trials) == 8 and all(t.state is TrialState.COMPLETE for t in study.trials)
    assert run_cli("resume", "dbr", "--storage", "s.db", "--n-trials", "2", "--quiet", "--config", "dbr.yaml")[0] == 0
    assert len(load_study("dbr", "s.db").trials) == 10


def test_a_built_in_objective_still_needs_its_space(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("objective: {type: train, dataset: digits}\nn_trials: 1\n")
    code, _, err = run_cli("run", "c.yaml", "--storage", "s.db")
    assert code == 2 and "missing required key 'space'" in err and "module:function" in err
