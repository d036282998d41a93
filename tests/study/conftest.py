"""Fixtures shared by the study tests: every storage test runs on every backend."""

from __future__ import annotations

import pytest

from hypernas import InMemoryStorage, SQLStorage, Storage


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request, tmp_path) -> Storage:
    """An empty storage: in memory, a fresh SQLite file, or a fresh PostgreSQL database."""
    if request.param == "memory":
        yield InMemoryStorage()
        return
    url = f"sqlite:///{tmp_path / 'study.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = SQLStorage(url)
    yield store
    store.close()


@pytest.fixture
def reopen(storage):
    """A function giving a second view of the same record (a new SQLStorage object, as in another process)."""
    opened = []

    def again() -> Storage:
        if isinstance(storage, SQLStorage):
            other = SQLStorage(storage.url)
            opened.append(other)
            return other
        return storage

    yield again
    for s in opened:
        s.close()
