"""The `hypernas` command: every subcommand, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hypernas import TrialState, load_study
from hypernas.cli import main

OBJECTIVE = textwrap.dedent("""
    import math

    def bowl(trial):
        p = trial.params
        loss = (math.log10(p["lr"]) + 2.5) ** 2 + (p["layers"] - 3) ** 2
        if p["optimizer"] == "sgd":
            loss += (p["momentum"] - 0.9) ** 2
        return loss

    def flaky(trial):
        if trial.number % 3 == 1:
            raise RuntimeError("diverged at step 7")
        if trial.number % 3 == 2:
            return float("nan")
        return trial.params["lr"]

    def depth(trial):
        return len(trial.params["arch"])

    def two(trial):
        return {"error": trial.params["lr"], "size": trial.params["layers"], "note": "x"}
""")

CONFIG = textwrap.dedent("""
    space:
      lr: {type: float, low: 1e-5, high: 1e-1, log: true}
      layers: {type: int, low: 1, high: 6}
      optimizer: [sgd, adam]
      momentum: {type: float, low: 0.0, high: 0.99, when: {optimizer: sgd}}
    strategy: random
    objective: cli_objectives:bowl
    n_trials: 12
    seed: 3
""")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cli_objectives.py").write_text(OBJECTIVE)
    (tmp_path / "study.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def test_run_records_trials_and_prints_best(workdir: Path) -> None:
    code, out, _ = run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")
    assert code == 0
    assert "Best trial #" in out and "params: lr=" in out
    study = load_study("study", "s.db")
    assert len(study.trials) == 12
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert all(("momentum" in t.params) == (t.params["optimizer"] == "sgd") for t in study.trials)


def test_architectures_are_printed_as_their_space_describes_them(workdir: Path) -> None:
    (workdir / "nas.yaml").write_text(textwrap.dedent("""
        space:
          arch: {type: chain, input_size: 8, max_layers: 3}
          lr: {type: float, low: 1e-4, high: 1e-1, log: true}
        strategy: evolution
        objective: cli_objectives:depth
        direction: maximize
        n_trials: 6
        seed: 0
    """))
    code, out, _ = run_cli("run", "nas.yaml", "--storage", "s.db", "--quiet")
    assert code == 0
    arch_line = next(line for line in out.splitlines() if line.startswith("  arch: "))
    assert arch_line.endswith(" > classifier") and '"type"' not in arch_line
    assert "params: lr=" in out
    code, out, _ = run_cli("show", "nas", "--storage", "s.db")
    assert code == 0 and "> classifier" in out and '"type"' not in out


def test_run_is_reproducible_with_a_seed(workdir: Path) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--name", "a", "--quiet")
    run_cli("run", "study.yaml", "--storage", "s.db", "--name", "b", "--quiet")
    a, b = load_study("a", "s.db"), load_study("b", "s.db")
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_studies_show_best_export_delete(workdir: Path) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")
    code, out, _ = run_cli("studies", "--storage", "s.db")
    assert code == 0 and "study" in out and "12" in out

    code, out, _ = run_cli("show", "study", "--storage", "s.db", "--limit", "3")
    assert code == 0 and "COMPLETE" in out and "│ 11" in out and "│ 8 " not in out

    code, out, _ = run_cli("best", "study", "--storage", "s.db", "--json")
    best = json.loads(out)
    assert best["number"] == load_study("study", "s.db").best_trial.number
    assert set(best["params"]) >= {"lr", "layers", "optimizer"}

    code, out, _ = run_cli("export", "study", "--storage", "s.db", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12 and {"number", "state", "value", "params_lr"} <= set(rows[0])

    code, _, _ = run_cli("export", "study", "--storage", "s.db", "--format", "json", "-o", "trials.json")
    assert code == 0 and len(json.loads(Path("trials.json").read_text())) == 12

    code, out, _ = run_cli("delete", "study", "--storage", "s.db")
    assert code == 0 and "deleted" in out
    code, _, err = run_cli("show", "study", "--storage", "s.db")
    assert code == 2 and "no study named 'study'" in err


def test_resume_runs_up_to_the_config_budget_then_more_on_request(workdir: Path) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--n-trials", "5", "--quiet")
    study = load_study("study", "s.db")
    assert len(study.trials) == 5
    # the stored config keeps the overridden budget of 5: resume reports it is complete
    code, out, _ = run_cli("resume", "study", "--storage", "s.db", "--quiet")
    assert code == 0 and "already has its 5 trials" in out
    code, out, _ = run_cli("resume", "study", "--storage", "s.db", "--n-trials", "4", "--quiet")
    assert code == 0
    assert len(load_study("study", "s.db").trials) == 9


def test_failing_objective_gives_failed_trials_and_the_study_goes_on(workdir: Path) -> None:
    Path("flaky.yaml").write_text(CONFIG.replace("cli_objectives:bowl", "cli_objectives:flaky"))
    code, out, _ = run_cli("run", "flaky.yaml", "--storage", "s.db", "--quiet")
    assert code == 0
    trials = load_study("flaky", "s.db").trials
    assert len(trials) == 12
    failed = [t for t in trials if t.state is TrialState.FAILED]
    assert {t.number % 3 for t in failed} == {1, 2}
    assert any("RuntimeError: diverged at step 7" in (t.error or "") for t in failed)
    assert any("nan" in (t.error or "") for t in failed)


def test_several_objectives_from_a_dict(workdir: Path) -> None:
    Path("two.yaml").write_text(CONFIG.replace("cli_objectives:bowl", "cli_objectives:two")
                                + "directions: [minimize, minimize]\nmetrics: [error, size]\n")
    code, out, _ = run_cli("run", "two.yaml", "--storage", "s.db", "--quiet")
    assert code == 0 and "Pareto trial" in out
    study = load_study("two", "s.db")
    assert study.value_names() == ["error", "size"]
    assert study.trials[0].user_attrs["note"] == "x"
    code, out, _ = run_cli("best", "two", "--storage", "s.db", "--json")
    assert isinstance(json.loads(out), list)


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
    code, out, err = run_cli("run", "bad.yaml", "--storage", "s.db")
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


def test_running_an_existing_study_name_says_how_to_resume(workdir: Path) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")
    code, _, err = run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")
    assert code == 2 and "hypernas resume study" in err


def test_console_script_runs_as_a_process(workdir: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "hypernas", "run", "study.yaml", "--storage", "p.db",
                             "--n-trials", "3"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Best trial" in result.stdout
    assert "3/3" in result.stderr  # the progress bar, on stderr
    quiet = subprocess.run([sys.executable, "-m", "hypernas", "resume", "study", "--storage", "p.db",
                            "--n-trials", "2", "--quiet"], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and "trials" not in quiet.stderr


def test_ctrl_c_saves_and_says_how_to_resume(workdir: Path) -> None:
    Path("slow_objective.py").write_text(textwrap.dedent("""
        import os, signal

        def objective(trial):
            if trial.number == 3:
                os.kill(os.getpid(), signal.SIGINT)
            return trial.params["x"]
    """))
    Path("slow.yaml").write_text("space: {x: {type: float, low: 0, high: 1}}\nobjective: slow_objective:objective\n"
                                 "n_trials: 10\nseed: 1\n")
    # a suite started in the background of a non-interactive shell inherits SIGINT ignored; the CLI must see it
    result = subprocess.run([sys.executable, "-m", "hypernas", "run", "slow.yaml", "--storage", "c.db", "--quiet"],
                            capture_output=True, text=True, timeout=120,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert result.returncode == 130
    assert "hypernas resume slow --storage c.db --requeue" in result.stderr
    assert "Traceback" not in result.stderr
    study = load_study("slow", "c.db")
    states = [t.state for t in study.trials]
    assert states[:3] == [TrialState.COMPLETE] * 3 and states[3] is TrialState.FAILED
    assert "interrupted" in (study.trials[3].error or "")
    interrupted_params = study.trials[3].params
    # resume re-runs the interrupted configuration first, then completes the budget of 10
    code, _, _ = run_cli("resume", "slow", "--storage", "c.db", "--requeue", "--quiet")
    study = load_study("slow", "c.db")
    assert code == 0
    assert study.trials[4].params == interrupted_params and study.trials[4].state is TrialState.COMPLETE
    assert len([t for t in study.trials if t.state is TrialState.COMPLETE]) == 10
