"""The ``--storage`` option that every study command shares."""

from __future__ import annotations

import os

DEFAULT_STORAGE = "sqlite:///hypernas.db"
STORAGE_HELP = f"SQLAlchemy URL or SQLite file (default: $HYPERNAS_STORAGE or {DEFAULT_STORAGE})"


def default_storage() -> str:
    """The storage a command uses when ``--storage`` is not given: ``$HYPERNAS_STORAGE``, else ``hypernas.db``."""
    return os.environ.get("HYPERNAS_STORAGE", DEFAULT_STORAGE)
