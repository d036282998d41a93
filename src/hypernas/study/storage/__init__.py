"""Where the study record lives: in memory, or in any SQL database SQLAlchemy reaches.

:class:`SQLStorage` (and SQLAlchemy with it) is imported when first used, so an in-memory study
and ``import hypernas`` do without SQLAlchemy.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import TYPE_CHECKING, Any

from hypernas.errors import StorageError
from hypernas.study.storage.base import RunningTrial, Storage, StudyInfo, StudySummary
from hypernas.study.storage.memory import InMemoryStorage

if TYPE_CHECKING:
    from hypernas.study.storage.sql import SQLStorage

_open: dict[str, SQLStorage] = {}
_open_lock = threading.Lock()


def normalize_url(storage: str) -> str:
    """A storage string as a SQLAlchemy URL: a bare file path such as ``runs.db`` means SQLite.

    A SQLite file path is made absolute (``~`` expanded), so the URL names the same file whatever the
    working directory is later (storages are shared per URL within a process, and workers reopen the URL).
    """
    if "://" not in storage:
        return f"sqlite:///{os.path.abspath(os.path.expanduser(storage))}"
    import sqlalchemy as sa

    from hypernas.study.storage.sql import sqlite_path

    try:
        parsed = sa.engine.make_url(storage)
    except sa.exc.ArgumentError:
        return storage  # SQLStorage says what is wrong with it
    path = sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
    if path is None:
        return storage
    absolute = os.path.abspath(os.path.expanduser(path))
    return storage if absolute == path else parsed.set(database=absolute).render_as_string(hide_password=False)


def get_storage(storage: Storage | str | None, *, must_exist: bool = False) -> Storage:
    """A :class:`Storage` from an object, a SQLAlchemy URL, a SQLite file path, or None/"memory" (in-memory).

    SQL storages are shared per URL within a process, so their trial cache is shared too. With
    ``must_exist`` (reading a record) nothing is created: the database must already hold one.
    """
    if isinstance(storage, Storage):
        return storage
    if storage is None or storage in ("memory", ":memory:"):
        return InMemoryStorage()
    if not isinstance(storage, str):
        raise StorageError(f"storage must be a URL string, a file path or a Storage object, got {storage!r}")
    from hypernas.study.storage.sql import SQLStorage

    url = normalize_url(storage)
    with _open_lock:
        if url not in _open:
            _open[url] = SQLStorage(url, create=not must_exist)
        return _open[url]


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":  # imports SQLAlchemy: only when a SQL storage is used
        return importlib.import_module("hypernas.study.storage.sql").SQLStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["InMemoryStorage", "RunningTrial", "SQLStorage", "Storage", "StudyInfo", "StudySummary",
           "get_storage", "normalize_url"]
