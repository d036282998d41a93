"""`hypernas run` and `hypernas resume`: a study from a YAML config, reproducible, resumable, interruptible."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from hypernas import TrialState, load_study
from tests.cli.cli_cases import CONFIG, run_cli


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


def test_resume_runs_up_to_the_config_budget_then_more_on_request(workdir: Path) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--n-trials", "5", "--quiet")
    study = load_study("study", "s.db")
    assert len(study.trials) == 5
    # the stored config keeps the overridden budget of 5: resume reports it is complete
    code, out, _ = run_cli("resume", "study", "--storage", "s.db", "--quiet", "--config", "study.yaml")
    assert code == 0 and "already has its 5 trials" in out
    code, out, _ = run_cli("resume", "study", "--storage", "s.db", "--n-trials", "4", "--quiet", "--trust-stored-objective")
    assert code == 0
    assert len(load_study("study", "s.db").trials) == 9


def test_failing_objective_gives_failed_trials_and_the_study_goes_on(workdir: Path) -> None:
    Path("flaky.yaml").write_text(CONFIG.replace("cli_objectives:bowl", "cli_objectives:flaky"))
    code, _, _ = run_cli("run", "flaky.yaml", "--storage", "s.db", "--quiet")
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
                            "--n-trials", "2", "--quiet", "--config", "study.yaml"], capture_output=True, text=True,
                           timeout=120)
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
    assert "hypernas resume slow --storage c.db --requeue --config slow.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    study = load_study("slow", "c.db")
    states = [t.state for t in study.trials]
    assert states[:3] == [TrialState.COMPLETE] * 3 and states[3] is TrialState.FAILED
    assert "interrupted" in (study.trials[3].error or "")
    interrupted_params = study.trials[3].params
    # resume re-runs the interrupted configuration first, then completes the budget of 10
    code, _, _ = run_cli("resume", "slow", "--storage", "c.db", "--requeue", "--quiet", "--config", "slow.yaml")
    study = load_study("slow", "c.db")
    assert code == 0
    assert study.trials[4].params == interrupted_params and study.trials[4].state is TrialState.COMPLETE
    assert len([t for t in study.trials if t.state is TrialState.COMPLETE]) == 10


def test_resume_imports_no_code_named_in_the_database_unless_trusted(workdir: Path) -> None:
    run_cli("run", "study.yaml", "--storage", "s.db", "--n-trials", "2", "--quiet")
    Path("cli_objectives.py").write_text("raise SystemExit('the stored objective module was imported')\n")
    code, _, err = run_cli("resume", "study", "--storage", "s.db", "--n-trials", "1", "--quiet")
    assert code == 2 and err.count("\n") == 1
    assert "runs the objective 'cli_objectives:" in err and "--trust-stored-objective" in err and "--config" in err
    assert len(load_study("study", "s.db").trials) == 2


def test_resume_with_a_malformed_strategy_state_is_one_line_and_exit_2(workdir: Path) -> None:
    Path("hb.yaml").write_text(CONFIG.replace("strategy: random", "strategy: {type: hyperband, max_resource: 9}"))
    run_cli("run", "hb.yaml", "--storage", "s.db", "--n-trials", "3", "--quiet")
    plan = {"brackets": [{"s": 10**30, "rungs": []}], "budgets": {}, "parents": {}}  # 3**s would never finish
    load_study("hb", "s.db").set_system_attr("strategy_state:hyperband", plan)
    code, _, err = run_cli("resume", "hb", "--storage", "s.db", "--n-trials", "2", "--quiet", "--config", "hb.yaml")
    assert code == 2 and err.count("\n") == 1, err
    assert "study 'hb': the stored state of strategy 'hyperband' is malformed (brackets[0].s: expected an integer in " \
           "[0, 2], got 1000" in err and "study.set_strategy_state('hyperband', None)" in err
    assert len(load_study("hb", "s.db").trials) == 3


def test_trial_timeout_from_the_config_and_the_command_line(workdir: Path) -> None:
    Path("slow_objectives.py").write_text("import time\n\ndef slow(trial):\n    end = time.monotonic() + 60\n"
                                          "    while time.monotonic() < end:\n        pass\n    return 0.0\n")
    Path("slow.yaml").write_text(CONFIG.replace("cli_objectives:bowl", "slow_objectives:slow").replace(
        "n_trials: 12", "n_trials: 2\ntrial_timeout: 30"))
    code, out, err = run_cli("run", "slow.yaml", "--storage", "s.db", "--trial-timeout", "0.3", "--quiet")
    assert code == 1 and "2 new trial(s); 2 failed" in out
    assert err.endswith("the last: TrialTimedOut: the trial ran longer than its trial_timeout of 0.3 s\n")


def test_ctrl_c_stops_every_worker_process_and_leaves_no_trial_running(workdir: Path) -> None:
    import os
    import time

    Path("spin_objective.py").write_text(textwrap.dedent("""
        import os, time
        from pathlib import Path

        def objective(trial):
            Path(f"pid-{os.getpid()}").touch()
            end = time.monotonic() + 0.4
            while time.monotonic() < end:
                pass
            return trial.params["x"]
    """))
    Path("spin.yaml").write_text("space: {x: {type: float, low: 0, high: 1}}\nobjective: spin_objective:objective\n"
                                 "n_trials: 200\nseed: 1\nn_workers: 2\nexecutor: process\n")
    # a new session, as a terminal's foreground job: Ctrl-C reaches the whole process group
    proc = subprocess.Popen([sys.executable, "-m", "hypernas", "run", "spin.yaml", "--storage", "c.db", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 90
    while len(list(Path().glob("pid-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "hypernas resume spin --storage c.db --requeue" in err
    study = load_study("spin", "c.db")
    assert study.get_trials((TrialState.RUNNING,)) == []
    assert 2 <= len(study.trials) < 200
    workers = [int(p.name.split("-")[1]) for p in Path().glob("pid-*")]
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker process outlived the run"
