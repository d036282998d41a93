"""A working directory with the CLI tests' objective module and run config (see :mod:`tests.cli.cli_cases`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_cases import CONFIG, OBJECTIVE


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cli_objectives.py").write_text(OBJECTIVE)
    (tmp_path / "study.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path
