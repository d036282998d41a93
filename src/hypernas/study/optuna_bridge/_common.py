"""What import and export share: loading Optuna, opening its storage, the attribute keys, values and times."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from hypernas.errors import ConfigError, StorageError
from hypernas.record import as_json_value
from hypernas.space import value_key

STUDY_SPACE_ATTR = "hypernas:space"
"""The Optuna study user attribute holding the exported study's hypernas space (its config), so an import restores it."""
TRIAL_SYSTEM_ATTRS = "hypernas:system_attrs"
"""The Optuna trial system attribute holding the hypernas trial's system attributes (decisions, worker, ...)."""
OPTUNA_SYSTEM_ATTRS = "optuna:system_attrs"
"""The hypernas trial (and study) system attribute holding the Optuna system attributes it was imported with."""
IMPORT_ATTR = "optuna:import"
"""The hypernas study system attribute saying where the study was imported from and what was left out."""
HYPERNAS_PREFIX = "hypernas:"
FAIL_REASON = "fail_reason"  # the Optuna trial system attribute with the error of a FAIL trial
SCALARS = (str, int, float, bool, type(None))


def optuna_module() -> ModuleType:
    """Optuna, imported when the bridge is first used."""
    try:
        import optuna
    except ImportError:
        raise ConfigError('the Optuna bridge needs Optuna: pip install "hypernas[optuna]"') from None
    return optuna


@contextlib.contextmanager
def opened(url: str, *, must_exist: bool) -> Iterator[Any]:
    """The Optuna storage at ``url`` (see :func:`_open`) inside the block, its connections closed
    after it, and Optuna's INFO lines (a study created, a trial added) left out meanwhile; its warnings kept."""
    logging = optuna_module().logging
    before = logging.get_verbosity()
    logging.set_verbosity(max(before, logging.WARNING))
    try:
        storage = _open(url, must_exist=must_exist)
        try:
            yield storage
        finally:
            storage.engine.dispose()
    finally:
        logging.set_verbosity(before)


def _open(url: str, *, must_exist: bool) -> Any:
    """An Optuna RDB storage at ``url`` (SQLAlchemy URL, or a bare SQLite file path).

    With ``must_exist`` nothing is created: a SQLite file that is missing is a :class:`StorageError`.
    """
    optuna = optuna_module()
    import sqlalchemy as sa

    if not isinstance(url, str) or not url:
        raise ConfigError(f"Optuna storage must be a URL such as sqlite:///optuna.db, got {url!r}")
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(f"Optuna storage {url!r} is not a database URL; e.g. sqlite:///optuna.db or "
                          "postgresql://user@host/db") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        file = Path(parsed.database).expanduser()
        if must_exist and not file.is_file():
            raise StorageError(f"Optuna storage {url!r}: no such file {str(file)!r}")
        if not file.parent.is_dir():
            raise StorageError(f"Optuna storage {url!r}: folder {str(file.parent)!r} does not exist")
    try:
        engine = sa.create_engine(parsed)  # an unknown database kind or a missing driver, said before Optuna logs it
        try:
            if must_exist and "studies" not in sa.inspect(engine).get_table_names():
                raise StorageError(f"Optuna storage {url!r} holds no Optuna record (no table 'studies')")
        finally:
            engine.dispose()
    except sa.exc.NoSuchModuleError:
        raise ConfigError(f"Optuna storage {url!r}: unknown database kind {parsed.get_backend_name()!r}; use "
                          "sqlite:///file.db or a server URL such as postgresql://user@host/db") from None
    except ImportError as exc:
        raise StorageError(f"Optuna storage {url!r} needs a database driver that is not installed: {exc}") from None
    except sa.exc.SQLAlchemyError as exc:
        raise StorageError(f"Optuna storage {url!r} cannot be opened: {str(exc).splitlines()[0]}") from None
    try:
        return optuna.storages.RDBStorage(url, skip_table_creation=must_exist)
    except Exception as exc:  # Optuna raises SQLAlchemy's and its own errors for a file that is no Optuna record
        raise StorageError(f"Optuna storage {url!r} cannot be opened as an Optuna record: {str(exc).splitlines()[0]}") from None


def study_names(storage: Any) -> list[str]:
    """The names of the studies in an Optuna storage."""
    return [s.study_name for s in storage.get_all_studies()]


def to_choice(value: Any) -> Any:
    """``value`` as an Optuna categorical choice: scalars as they are, lists and dicts (genotypes) as JSON text."""
    return value if isinstance(value, SCALARS) else value_key(value)


def json_attrs(attrs: dict[str, Any], what: str) -> dict[str, Any]:
    """Attributes as strict JSON data (NaN and infinity become None); those that are not JSON are left out."""
    out = {}
    for key, value in attrs.items():
        try:
            out[str(key)] = as_json_value(value, f"{what} {key!r}", non_finite_as_none=True)
        except ConfigError:
            continue
    return out


def finite(values: list[float] | None) -> bool:
    return values is None or all(math.isfinite(v) for v in values)


def local_to_utc(dt: datetime | None) -> datetime | None:
    """An Optuna time (naive local time) as hypernas stores times (naive UTC)."""
    return None if dt is None else dt.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(dt: datetime | None) -> datetime | None:
    """A hypernas time (naive UTC) as Optuna stores times (naive local time)."""
    return None if dt is None else dt.replace(tzinfo=timezone.utc).astimezone().replace(tzinfo=None)


def parse_json_text(text: Any) -> Any:
    """A JSON text written by :func:`to_choice` back to its value; anything else as it is."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
