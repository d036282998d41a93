"""What several commands share: the ``--storage`` option, and checking a file or folder a command will write."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hypernas.errors import ConfigError

DEFAULT_STORAGE = "sqlite:///hypernas.db"
STORAGE_HELP = f"SQLAlchemy URL or SQLite file (default: $HYPERNAS_STORAGE or {DEFAULT_STORAGE})"


def default_storage() -> str:
    """The storage a command uses when ``--storage`` is not given: ``$HYPERNAS_STORAGE``, else ``hypernas.db``."""
    return os.environ.get("HYPERNAS_STORAGE", DEFAULT_STORAGE)


def output_file(option: str, path: str, suffixes: Sequence[str] = ()) -> Path:
    """``path`` if a command can write it there, checked before the command does its work.

    The folder must exist and be writable, ``path`` must not be a folder, and where ``suffixes``
    are given its extension must be one of them.
    """
    file = Path(path).expanduser()
    folder = file.parent
    if file.is_dir() or not file.name:
        raise ConfigError(f"{option} {path!r} is a folder; give a file name")
    if not folder.is_dir():
        raise ConfigError(f"{option} {path!r}: the folder {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK) or (file.exists() and not os.access(file, os.W_OK)):
        raise ConfigError(f"{option} {path!r}: no permission to write there")
    if suffixes and file.suffix.lower().lstrip(".") not in suffixes:
        raise ConfigError(f"{option} {path!r}: the file type must be one of {', '.join('.' + s for s in suffixes)}")
    return file


def output_folder(option: str, path: str) -> Path:
    """``path`` as a folder a command can write files into, checked before the command does its work.

    It may not exist yet (the command creates it), but the folder that would hold it must, and
    ``path`` must not be a file.
    """
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{option} {path!r} is a file; give a folder for the files")
    parent = folder if folder.exists() else folder.parent
    if not parent.is_dir():
        why = "is a file" if parent.exists() else "does not exist; create it first"
        raise ConfigError(f"{option} {path!r}: the folder {str(parent)!r} {why}")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"{option} {path!r}: no permission to write there")
    return folder
