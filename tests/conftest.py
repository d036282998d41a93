"""Shared test fixtures: storage URLs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer, available, postgres_server

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = REPO.parent / "shared" / "benchmarks"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run. Missing PostgreSQL skips its tests, except in CI, where it fails them."""
    if not available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL (initdb, pg_ctl) must be installed in CI: .ci/run installs it")
        pytest.skip("PostgreSQL is not installed on this machine (initdb, pg_ctl)")
    with postgres_server() as server:
        yield server


def _close_cached_storage(url: str) -> None:
    """Close the storage hypernas keeps open for ``url`` in this process (get_storage shares one per URL)."""
    from hypernas.study import storage as storages

    with storages._open_lock:
        opened = storages._open.pop(url, None)
    if opened is not None:
        opened.close()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test (the URL's connections use it), dropped after it."""
    url = pg_server.create_schema()
    yield url
    _close_cached_storage(url)
    pg_server.drop_schema(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQL database: a SQLite file, then a PostgreSQL database (the test runs once on each)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(autouse=True)
def _isolated_storage_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never let a test fall back on a hypernas.db in the working directory."""
    monkeypatch.setenv("HYPERNAS_STORAGE", f"sqlite:///{tmp_path / 'default.db'}")
