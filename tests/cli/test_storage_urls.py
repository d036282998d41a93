"""The commands on a database server as on a SQLite file; an unreachable server is one line, without its password."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_cases import run_cli


def test_run_resume_and_read_a_study_by_url(workdir: Path, db_url: str) -> None:
    code, out, err = run_cli("run", "study.yaml", "--storage", db_url, "--n-trials", "5", "--quiet")
    assert code == 0, err
    code, out, err = run_cli("resume", "study", "--storage", db_url, "--n-trials", "3", "--quiet", "--config", "study.yaml")
    assert code == 0, err
    assert out.startswith("Study 'study': 3 new trial(s); 8 complete")
    code, out, _ = run_cli("studies", "--storage", db_url)
    assert code == 0 and "study" in out
    code, out, _ = run_cli("export", "study", "--storage", db_url, "--format", "json")
    assert code == 0 and [r["number"] for r in json.loads(out)] == list(range(8))


def test_an_unreachable_server_is_one_line_without_its_password(workdir: Path) -> None:
    code, out, err = run_cli("studies", "--storage", "postgresql://hn:s3cret@/hypernas?host=/nonexistent")
    assert code == 2 and out == ""
    assert err.startswith("hypernas: error: storage 'postgresql://hn:***@/hypernas?host=%2Fnonexistent' cannot be opened")
    assert err.count("\n") == 1 and "s3cret" not in err
