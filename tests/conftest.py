"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = REPO.parent / "shared" / "benchmarks"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.fixture(autouse=True)
def _isolated_storage_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never let a test fall back on a hypernas.db in the working directory."""
    monkeypatch.setenv("HYPERNAS_STORAGE", f"sqlite:///{tmp_path / 'default.db'}")
