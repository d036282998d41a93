"""The commands that read or delete stored studies: studies, show, best, export, delete."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypernas import load_study
from tests.cli.cli_cases import CONFIG, run_cli


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


def test_best_before_any_complete_trial_says_so(workdir: Path) -> None:
    Path("broken.yaml").write_text(CONFIG.replace("cli_objectives:bowl", "cli_objectives:broken"))
    code, out, err = run_cli("run", "broken.yaml", "--storage", "s.db", "--n-trials", "2", "--quiet")
    assert code == 1 and out.endswith("2 new trial(s); 2 failed (in s.db)\n")
    assert err == "hypernas: every trial of this run failed; the last: RuntimeError: no result\n"
    assert run_cli("best", "broken", "--storage", "s.db") == (0, "No complete trial yet.\n", "")
    assert run_cli("best", "broken", "--storage", "s.db", "--json") == (0, "null\n", "")


def test_reading_a_study_needs_not_its_strategy(workdir: Path) -> None:
    from hypernas import RandomSearch, create_study
    from hypernas.strategy import STRATEGIES

    class Private(RandomSearch):
        pass

    with STRATEGIES.temporarily("private", Private):
        study = create_study("p", "s.db", strategy="private", space={"x": {"type": "float", "low": 0, "high": 1}})
        study.optimize(lambda t: t.params["x"], n_trials=3)
    for command in (["show", "p"], ["best", "p"], ["export", "p"], ["delete", "p"]):
        code, _, err = run_cli(*command, "--storage", "s.db")
        assert code == 0, (command, err)
