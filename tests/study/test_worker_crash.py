"""Worker processes that die change nothing: their trial is lost (and re-run with ``requeue_lost``), another
process takes their place, and the study still ends with its ``n_trials``; a script without a main guard is
told what to add."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hypernas as hn
from hypernas import TrialState
from hypernas.errors import WorkerCrashedError
from tests.cli.cli_cases import run_cli
from tests.study.worker_cases import OBJECTIVES, SPACE, assert_lost_one_rerun, counted_trials, lost_trials

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"), pytest.mark.timeout(120)]

@pytest.fixture
def objectives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    (tmp_path / "crash_objectives.py").write_text(OBJECTIVES)
    monkeypatch.syspath_prepend(str(tmp_path))
    import crash_objectives  # type: ignore[import-not-found]

    return crash_objectives


def test_a_killed_worker_process_is_replaced_and_the_study_ends_with_its_trials(
        objectives, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    study = hn.create_study("killed", db_url, seed=0, space=SPACE)
    with caplog.at_level(logging.WARNING, logger="hypernas"):
        study.optimize(objectives.killed_on_trial_1, n_trials=4, n_workers=2, executor="process")
    assert [t.state for t in counted_trials(study)] == [TrialState.COMPLETE] * 4
    [lost] = lost_trials(study)
    assert lost.number == 1 and lost.state is TrialState.FAILED
    assert lost.error is not None
    assert lost.error.startswith("lost: the trial was left RUNNING because its worker process ")
    assert lost.error.endswith(" was killed by SIGKILL")
    assert len(study.trials) == 5  # no trial RUNNING or WAITING
    [warning] = [r.getMessage() for r in caplog.records if "SIGKILL" in r.getMessage()]
    assert warning.endswith("was killed by SIGKILL; its trial 1 is FAILED as lost; a new worker process takes its place")


def test_with_requeue_lost_the_killed_trial_is_run_again_within_the_budget(objectives, db_url: str) -> None:
    study = hn.create_study("requeued", db_url, seed=0, space=SPACE)
    study.optimize(objectives.killed_on_trial_1, n_trials=4, n_workers=2, executor="process", requeue_lost=True)
    lost = assert_lost_one_rerun(study, 4)
    assert lost.number == 1 and lost.error is not None and lost.error.endswith("was killed by SIGKILL")


def test_a_worker_process_that_exits_is_replaced_and_its_trial_names_the_exit_code(objectives, sqlite_url: str) -> None:
    study = hn.create_study("exits", sqlite_url, space=SPACE)
    study.optimize(objectives.exits_on_trial_0, n_trials=3, n_workers=2, executor="process")
    [lost] = lost_trials(study)
    assert lost.number == 0 and lost.error is not None and lost.error.endswith(" exited with code 3")
    assert [t.state for t in counted_trials(study)] == [TrialState.COMPLETE] * 3
    assert len(study.trials) == 4


def test_workers_that_always_die_end_the_run_with_an_error_and_no_trial_running(objectives, sqlite_url: str) -> None:
    study = hn.create_study("doomed", sqlite_url, space=SPACE)
    with pytest.raises(WorkerCrashedError, match=r"^worker process [12] of 2 \(pid \d+\) was killed by SIGKILL; .*"
                                                 r"; gave up after \d+ worker processes in a row died before a trial "
                                                 r"finished$"):
        study.optimize(objectives.always_killed, n_trials=4, n_workers=2, executor="process")
    trials = study.trials
    assert trials and all(t.state is TrialState.FAILED and t.system_attrs.get("lost") for t in trials)


CLI_CONFIG = textwrap.dedent("""
    space: {x: {type: float, low: 0, high: 1}}
    objective: crash_objectives:killed_on_trial_1
    n_trials: 4
    n_workers: 2
    executor: process
    seed: 0
""")


def test_the_cli_ends_a_run_with_a_killed_worker_with_exact_counts_and_exit_0(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "crash_objectives.py").write_text(OBJECTIVES)
    (tmp_path / "crash.yaml").write_text(CLI_CONFIG)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("run", "crash.yaml", "--storage", "c.db")
    assert code == 0, err
    assert "4/4 trials" in err  # the progress bar counts the trials that count
    assert out.startswith("Study 'crash': 4 new trial(s), and 1 lost with its worker; 4 complete, 1 failed (in c.db)\n")
    assert "Best trial #" in out
    args = ("--storage", "c.db", "--quiet", "--config", "crash.yaml")
    code, out, _ = run_cli("resume", "crash", *args)
    assert code == 0 and out.startswith("study 'crash' already has its 4 trials; pass --n-trials to run more\n")
    code, out, _ = run_cli("resume", "crash", "--requeue", *args)  # the lost trial, queued before the run
    assert code == 0 and out.startswith("Study 'crash': 1 new trial(s); 5 complete, 1 failed (in c.db)\n")
    code, out, _ = run_cli("resume", "crash", *args)
    assert out.startswith("study 'crash' already has 5 trials (its config asks for 4); pass --n-trials to run more\n")


UNGUARDED = textwrap.dedent("""
    import sys
    import hypernas as hn

    def objective(trial):
        return trial.params["x"]

    study = hn.create_study("guard", sys.argv[1], space={"x": {"type": "float", "low": 0, "high": 1}}{load})
    study.optimize(objective, n_trials=4, n_workers=2, executor="process")
""")


@pytest.mark.parametrize("load", [", load_if_exists=True", ""], ids=["reaches-optimize", "fails-before"])
def test_a_script_without_a_main_guard_is_told_what_to_add(tmp_path: Path, load: str) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED.replace("{load}", load))
    src = str(Path(hn.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, str(script), f"sqlite:///{tmp_path / 'g.db'}"], capture_output=True,
                            text=True, timeout=100, env=env, cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("hypernas.errors.ConfigError: executor='process' starts worker processes that import your "
                           "script again: put the code that runs the study under `if __name__ == \"__main__\":`")
    assert "bootstrapping" not in result.stderr
    if load:  # the workers reached optimize, and left at once without a word
        assert result.stderr.count("Traceback") == 1
        assert last.endswith('`if __name__ == "__main__":`')
    else:  # the workers failed before (the study exists), with their own error; the caller says why
        assert "DuplicateStudyError" in result.stderr
        assert last.endswith(" exited with code 1 while importing it)")
    assert [t.state for t in hn.load_study("guard", f"sqlite:///{tmp_path / 'g.db'}").trials] == []
