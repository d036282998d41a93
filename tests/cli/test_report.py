"""``hypernas report``: the HTML report or the plots as image files, with paths checked before any work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.cli.cli_cases import run_cli


@pytest.fixture
def stored(workdir: Path) -> Path:
    code, _, _ = run_cli("run", "study.yaml", "--storage", "s.db", "--quiet")
    assert code == 0
    return workdir


def test_report_writes_one_html_file(stored: Path) -> None:
    code, out, err = run_cli("report", "study", "--storage", "s.db", "-o", "report.html")
    assert (code, err) == (0, "")
    assert out.startswith("wrote the report of study 'study' (12 trial(s)) to report.html (")
    html = Path("report.html").read_text()
    assert "<h1>Study study</h1>" in html and "plot-history" in html and html.count("<script") == 2


def test_report_as_png_files_for_a_paper(stored: Path) -> None:
    code, out, _ = run_cli("report", "study", "--storage", "s.db", "-o", "figures", "--format", "png")
    assert code == 0 and out.endswith("file(s) for study 'study' to figures\n")
    files = sorted(p.name for p in Path("figures").iterdir())
    assert {"history.png", "slice.png", "parallel.png", "importance.png"} <= set(files)
    assert all(Path("figures", f).read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for f in files)


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "-o", "r.html"], "no study named 'nope' in "),
    (["study", "--storage", "missing.db", "-o", "r.html"], "storage 'sqlite:///"),
    (["study", "-o", "r.txt"], "--output 'r.txt': the file type must be one of .html, .htm"),
    (["study", "-o", "no/such/r.html"], "--output 'no/such/r.html': the folder 'no/such' does not exist"),
    (["study", "-o", "study.yaml", "--format", "png"], "--output 'study.yaml' is a file; give a folder"),
], ids=["unknown-study", "missing-storage", "suffix", "folder", "file-for-images"])
def test_mistakes_are_one_line(stored: Path, args: list[str], message: str) -> None:
    storage = [] if "--storage" in args else ["--storage", "s.db"]
    code, out, err = run_cli("report", *args, *storage)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("hypernas: error: ") and message in err
    assert not Path("r.html").exists() and not Path("missing.db").exists()


def test_the_output_is_checked_before_the_study_is_read(workdir: Path) -> None:
    code, _, err = run_cli("report", "nope", "--storage", "missing.db", "-o", "no/such/r.html")
    assert code == 2 and "the folder 'no/such' does not exist" in err


def test_without_plotly_the_command_says_what_to_install(stored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "plotly" else real(name, *a))
    code, _, err = run_cli("report", "study", "--storage", "s.db", "-o", "r.html")
    assert (code, err) == (2, "hypernas: error: hypernas report needs plotly: pip install 'hypernas[viz]'\n")
