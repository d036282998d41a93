"""Reading a study file someone else gave you: read-only commands create nothing, and a file that is
not a hypernas record is refused in one line, in Python and on the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import hypernas as hn
from hypernas.cli import main

READERS = [["studies"], ["show", "s"], ["best", "s"], ["export", "s"], ["delete", "s"]]


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_reading_a_missing_file_says_so_and_creates_nothing(tmp_path: Path, command: list[str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    code, err = run_cli(*command, "--storage", str(missing), capsys=capsys)
    assert code == 2 and err == f"hypernas: error: storage 'sqlite:///{missing}': no such file '{missing}'\n"
    assert list(tmp_path.iterdir()) == []


def test_python_readers_create_nothing(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.db")
    for read in (lambda: hn.load_study("s", missing), lambda: hn.study_names(missing),
                 lambda: hn.delete_study("s", missing)):
        with pytest.raises(hn.StorageError, match="no such file"):
            read()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"not a database at all", b"SQLite format 3\x00" + b"\xff" * 200],
                         ids=["text", "corrupt-sqlite"])
@pytest.mark.parametrize("command", READERS + [["run", "x.yaml"]], ids=lambda c: c[0])
def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path, content: bytes, command: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    (tmp_path / "foreign_objective.py").write_text("def f(trial):\n    return trial.params['x']\n")
    (tmp_path / "x.yaml").write_text("space: {x: {type: float, low: 0, high: 1}}\nobjective: foreign_objective:f\n")
    command = [str(tmp_path / "x.yaml") if a == "x.yaml" else a for a in command]
    code, err = run_cli(*command, "--storage", str(bad), capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "cannot be opened as a database" in err, err
    assert bad.read_bytes() == content


def test_a_database_of_another_program_is_refused_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (text)")
    before = other.read_bytes()
    with pytest.raises(hn.StorageError, match="holds no hypernas record"):
        hn.load_study("s", str(other))
    assert other.read_bytes() == before
