"""SQL storage through SQLAlchemy: SQLite by default, any SQLAlchemy URL (e.g. PostgreSQL) for shared use.

Every state change is one transaction. On SQLite the database runs in WAL mode and write
transactions begin IMMEDIATE, so several processes on one file never allocate the same trial
number or claim the same queued trial, and a process killed at any moment leaves every
committed change intact. On a server (PostgreSQL) a trial number taken twice at once is refused
by a unique constraint and taken again, a read-modify-write locks its row, the schema is created
under an advisory lock, and a call that finds the server unreachable is retried for a while
(:mod:`hypernas.study.storage.reconnect`). Finished trials never change, so they are cached and
only trials that were unfinished at the last read are fetched again.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from hypernas.errors import DuplicateStudyError, StorageError, StudyNotFoundError, TrialStateError
from hypernas.record import FrozenTrial, TrialState
from hypernas.study.storage.base import RunningTrial, Storage, StudyInfo, utcnow
from hypernas.study.storage.reconnect import Reconnect, is_disconnect, reconnecting

SCHEMA_VERSION = 1

T = TypeVar("T")

metadata = sa.MetaData()

studies_table = sa.Table(
    "hn_studies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(512), nullable=False, unique=True),
    sa.Column("directions", sa.JSON, nullable=False),
    sa.Column("metric_names", sa.JSON, nullable=True),
    sa.Column("user_attrs", sa.JSON, nullable=False),
    sa.Column("system_attrs", sa.JSON, nullable=False),
    sa.Column("datetime_created", sa.DateTime, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused: other processes cache finished trials by id
)

trials_table = sa.Table(
    "hn_trials", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("hn_studies.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("objective_values", sa.JSON, nullable=True),
    sa.Column("user_attrs", sa.JSON, nullable=False),
    sa.Column("system_attrs", sa.JSON, nullable=False),
    sa.Column("worker", sa.JSON, nullable=True),
    sa.Column("heartbeat", sa.DateTime, nullable=True),
    sa.Column("datetime_start", sa.DateTime, nullable=True),
    sa.Column("datetime_complete", sa.DateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="uq_hn_trial_number"),
    sa.Index("ix_hn_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

intermediate_table = sa.Table(
    "hn_intermediate", metadata,
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("hn_trials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("step", sa.Integer, primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)

# what trials keep beside their record (trained weights): bytes never unpickled, removed with their trial;
# a record written before this table existed reads as one without artifacts
artifacts_table = sa.Table(
    "hn_artifacts", metadata,
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("hn_trials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("data", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql"), nullable=False),  # MySQL's BLOB: 64 KB
)

# one row per study, locked FOR UPDATE while a strategy proposes (server databases); nothing references it,
# so holding the lock never blocks writes to the study or its trials
locks_table = sa.Table(
    "hn_study_locks", metadata,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=False),
)

version_table = sa.Table(
    "hn_version", metadata,
    sa.Column("schema_version", sa.Integer, primary_key=True),
)

_FINISHED = [s.value for s in TrialState if s.is_finished]

_SCHEMA_LOCK_KEY = 0x6879706572_6E6173  # "hypernas": PostgreSQL's advisory lock held while the schema is created
_SCHEMA_ATTEMPTS = 3


def sqlite_path(url: sa.engine.URL) -> str | None:
    """The file of a SQLite URL; None for an in-memory or ``file:`` URI database."""
    db = url.database
    return None if not db or db == ":memory:" or db.startswith("file:") else db



@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """An exclusive ``flock`` on the file ``path`` (created if missing) inside the block, across threads and
    processes; the kernel drops it with a process that dies."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock

class SQLStorage(Storage):
    """Study record in a relational database, addressed by a SQLAlchemy URL."""

    shared = True

    def __init__(self, url: str, engine_kwargs: dict[str, Any] | None = None, *, create: bool = True) -> None:
        """Open the database at ``url``; with ``create=False`` it must already hold a hypernas record
        (nothing is created or written: a missing file or missing tables is a :class:`StorageError`)."""
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise StorageError(f"storage {url!r} is not a valid SQLAlchemy URL; e.g. sqlite:///study.db or "
                               "postgresql+psycopg://user@host/db") from None
        # what messages call it: the URL as given, but never with its password
        self.name = url if parsed.password is None else parsed.render_as_string(hide_password=True)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs = dict(engine_kwargs or {})
        self._file: str | None = None  # the SQLite database file (None for a server or SQLite in memory)
        if self._is_sqlite:
            path = sqlite_path(parsed)
            if path is not None:
                file = Path(path).expanduser().resolve()
                if not file.parent.is_dir():
                    raise StorageError(f"storage {self.name!r}: folder {str(file.parent)!r} does not exist")
                if not create and not file.is_file():
                    raise StorageError(f"storage {self.name!r}: no such file {str(file)!r}")
                self._file = str(file)
            kwargs.setdefault("connect_args", {"timeout": 120, "check_same_thread": False})
            if path is None:
                kwargs.setdefault("poolclass", sa.pool.StaticPool)
        elif parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is not None:
            parsed = parsed.set(drivername="postgresql+psycopg")  # the driver of the postgres extra, whatever SQLAlchemy's default
        try:
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
        except NoSuchModuleError:
            raise StorageError(f"storage {self.name!r}: unknown database kind {parsed.get_backend_name()!r}; use a SQLite "
                               "file (runs.db, sqlite:///runs.db) or a server URL such as "
                               "postgresql+psycopg://user@host/db") from None
        except (ImportError, ModuleNotFoundError) as exc:
            extra = " (pip install 'hypernas[postgres]')" if parsed.get_backend_name() == "postgresql" else ""
            raise StorageError(f"storage {self.name!r} needs a database driver that is not installed{extra}: {exc}") from None
        except SQLAlchemyError as exc:
            raise StorageError(f"storage {self.name!r} cannot be opened: {exc}") from None
        self.reconnect = Reconnect(self.name, enabled=not self._is_sqlite)  # a server may go away for a while
        if self._is_sqlite:
            self._install_sqlite_hooks(wal=create)
        self._cache_lock = threading.Lock()
        self._finished: dict[int, dict[int, FrozenTrial]] = {}
        self._watermark: dict[int, int] = {}
        self._thread_locks: dict[int, threading.Lock] = {}
        self._has_artifacts = True  # created with the schema; a record opened read-only says (_check_schema)
        try:
            if create:
                self._create_schema()
            else:
                self._check_schema()
        except DatabaseError as exc:
            raise StorageError(f"storage {self.name!r} cannot be opened as a database: {str(exc.orig).splitlines()[0]}") from None

    # --- engine set-up ---------------------------------------------------------------------
    @property
    def key(self) -> str:
        return self.url

    def _install_sqlite_hooks(self, wal: bool) -> None:
        """Per connection: our own BEGINs, foreign keys, a long busy timeout; WAL mode when ``wal`` (it is kept
        in the file, so a record hypernas created has it, and a file only read is left as it was)."""

        @sa.event.listens_for(self.engine, "connect")
        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            if wal:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=120000")
            cur.close()

        @sa.event.listens_for(self.engine, "begin")
        def on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("hn_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    def _check_schema(self) -> None:
        """Refuse a database without hypernas's tables or of another schema version, writing nothing."""
        with self._read() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            self._has_artifacts = artifacts_table.name in tables
            missing = sorted(set(metadata.tables) - tables - {artifacts_table.name})
            if missing:
                raise StorageError(f"storage {self.name!r} holds no hypernas record (no table {missing[0]!r})")
            row = conn.execute(sa.select(version_table.c.schema_version)).first()
        if row is None or row[0] != SCHEMA_VERSION:
            raise self._version_error(row[0] if row else None)

    def _create_schema(self) -> None:
        """Create the tables and the version row where they are missing. Several workers may start at once on an
        empty database: SQLite's write lock serializes them, PostgreSQL an advisory lock; elsewhere one that
        finds a table created under it tries again (it then sees the table)."""
        self._check_sqlite_file()
        for attempt in range(_SCHEMA_ATTEMPTS):
            try:
                with self._write() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
                    metadata.create_all(conn)
                    row = conn.execute(sa.select(version_table.c.schema_version)).first()
                    if row is None:
                        conn.execute(version_table.insert().values(schema_version=SCHEMA_VERSION))
                    elif row[0] != SCHEMA_VERSION:
                        raise self._version_error(row[0])
                return
            except DatabaseError:
                if attempt + 1 == _SCHEMA_ATTEMPTS:
                    raise

    def _check_sqlite_file(self) -> None:
        """Refuse a SQLite path holding something else than a database before writing anything beside it."""
        if self._file is None:
            return
        try:
            with open(self._file, "rb") as file:
                header = file.read(16)
        except OSError:  # none yet, or a folder: SQLite says what is wrong
            return
        if header and header != b"SQLite format 3\x00":
            raise StorageError(f"storage {self.name!r} cannot be opened as a database: file is not a database")

    def _version_error(self, found: Any) -> StorageError:
        return StorageError(f"storage {self.name!r} has schema version {found}; this hypernas reads version {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer_lock(), self.engine.connect() as conn:
            conn.execution_options(hn_write=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """On a SQLite file, one writer at a time across threads and processes, queued by the kernel.

        Without it, writers that collide wait in SQLite's busy handler, which sleeps and retries (1 to 100 ms a
        time): with a few workers writing small transactions, most of the time per trial. The kernel drops
        the lock of a process that dies, so a killed worker blocks no one.
        """
        if self._file is None:
            yield
            return
        with file_lock(self._file + ".write-lock"):
            yield

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # --- studies ---------------------------------------------------------------------------
    @reconnecting
    def create_study(self, name: str, directions: Sequence[str], metric_names: Sequence[str] | None = None,
                     system_attrs: dict[str, Any] | None = None) -> int:
        try:
            with self._write() as conn:
                result = conn.execute(studies_table.insert().values(
                    name=name, directions=list(directions), metric_names=list(metric_names) if metric_names else None,
                    user_attrs={}, system_attrs=system_attrs or {}, datetime_created=utcnow()))
                return _inserted_id(result)
        except IntegrityError:
            raise DuplicateStudyError(f"a study named {name!r} already exists in {self.name}; load or resume it, or choose another name") from None

    @staticmethod
    def _study_info(row: Any) -> StudyInfo:
        return StudyInfo(row.id, row.name, list(row.directions), list(row.metric_names) if row.metric_names else None,
                         dict(row.user_attrs or {}), dict(row.system_attrs or {}), row.datetime_created)

    @reconnecting
    def get_study(self, name: str) -> StudyInfo:
        with self._read() as conn:
            row = conn.execute(sa.select(studies_table).where(studies_table.c.name == name)).first()
        if row is None:
            known = ", ".join(self.study_names()) or "none"
            raise StudyNotFoundError(f"no study named {name!r} in {self.name}; known studies: {known}")
        return self._study_info(row)

    @reconnecting
    def get_study_by_id(self, study_id: int) -> StudyInfo:
        with self._read() as conn:
            row = conn.execute(sa.select(studies_table).where(studies_table.c.id == study_id)).first()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self.name}")
        return self._study_info(row)

    @reconnecting
    def study_names(self) -> list[str]:
        with self._read() as conn:
            return [r[0] for r in conn.execute(sa.select(studies_table.c.name).order_by(studies_table.c.id))]

    @reconnecting
    def delete_study(self, name: str) -> None:
        study_id = self.get_study(name).study_id
        with self._write() as conn:
            ids = sa.select(trials_table.c.id).where(trials_table.c.study_id == study_id)
            conn.execute(intermediate_table.delete().where(intermediate_table.c.trial_id.in_(ids)))
            if self._has_artifacts:
                conn.execute(artifacts_table.delete().where(artifacts_table.c.trial_id.in_(ids)))
            conn.execute(trials_table.delete().where(trials_table.c.study_id == study_id))
            conn.execute(studies_table.delete().where(studies_table.c.id == study_id))
            conn.execute(locks_table.delete().where(locks_table.c.study_id == study_id))
        with self._cache_lock:
            self._finished.pop(study_id, None)
            self._watermark.pop(study_id, None)

    @reconnecting
    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        column = studies_table.c.system_attrs if system else studies_table.c.user_attrs
        with self._write() as conn:
            attrs = dict(conn.execute(sa.select(column).where(studies_table.c.id == study_id)
                                      .with_for_update()).scalar_one() or {})
            attrs[key] = value
            conn.execute(studies_table.update().where(studies_table.c.id == study_id).values({column.name: attrs}))

    @reconnecting
    def set_metric_names(self, study_id: int, names: Sequence[str]) -> None:
        with self._write() as conn:
            conn.execute(studies_table.update().where(studies_table.c.id == study_id).values(metric_names=list(names)))

    # --- trials ----------------------------------------------------------------------------
    @reconnecting
    def create_trial(self, study_id: int, state: TrialState, params: dict[str, Any] | None = None,
                     system_attrs: dict[str, Any] | None = None, worker: dict[str, Any] | None = None) -> FrozenTrial:
        now = utcnow()
        start = now if state is TrialState.RUNNING else None

        def insert(conn: Connection, number: int) -> FrozenTrial:
            result = conn.execute(trials_table.insert().values(
                study_id=study_id, number=number, state=state.value, params=params or {}, user_attrs={},
                system_attrs=system_attrs or {}, worker=worker, heartbeat=now, datetime_start=start))
            return FrozenTrial(number, _inserted_id(result), state, dict(params or {}),
                               system_attrs=dict(system_attrs or {}), datetime_start=start)

        return self._insert_numbered(study_id, insert)

    def _insert_numbered(self, study_id: int, insert: Callable[[Connection, int], T]) -> T:
        """``insert(conn, number)`` with the study's next trial number, in one transaction; taken again when a
        concurrent writer on a server database took the same number (the unique constraint refuses it)."""
        for _attempt in range(20):
            try:
                with self._write() as conn:
                    return insert(conn, self._next_number(conn, study_id))
            except IntegrityError:
                continue
        raise StorageError(f"could not allocate a trial number in {self.name} after 20 attempts")

    @reconnecting
    def add_finished_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        if not trial.state.is_finished:
            raise TrialStateError(f"only a finished trial can be added as it is, got one that is {trial.state.value}")

        def insert(conn: Connection, number: int) -> FrozenTrial:
            result = conn.execute(trials_table.insert().values(
                study_id=study_id, number=number, state=trial.state.value, params=trial.params,
                objective_values=list(trial.values) if trial.values is not None else None,
                user_attrs=trial.user_attrs, system_attrs=trial.system_attrs, worker=None, heartbeat=None,
                datetime_start=trial.datetime_start, datetime_complete=trial.datetime_complete, error=trial.error))
            trial_id = _inserted_id(result)
            if trial.intermediate:
                conn.execute(intermediate_table.insert(), [{"trial_id": trial_id, "step": int(step), "value": float(value)}
                                                           for step, value in trial.intermediate.items()])
            return self._load_trial(conn, trial_id)

        return self._insert_numbered(study_id, insert)

    @staticmethod
    def _next_number(conn: Connection, study_id: int) -> int:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(trials_table.c.number) + 1, 0))
                                .where(trials_table.c.study_id == study_id)).scalar_one())

    @reconnecting
    def next_trial_number(self, study_id: int) -> int:
        with self._read() as conn:
            return self._next_number(conn, study_id)

    @reconnecting
    def claim_waiting_trial(self, study_id: int, worker: dict[str, Any] | None = None) -> FrozenTrial | None:
        while True:
            with self._read() as conn:  # the common case, an empty queue, takes no write lock
                trial_id = conn.execute(
                    sa.select(trials_table.c.id)
                    .where(trials_table.c.study_id == study_id, trials_table.c.state == TrialState.WAITING.value)
                    .order_by(trials_table.c.number).limit(1)).scalar()
            if trial_id is None:
                return None
            with self._write() as conn:  # claimed only if still WAITING: another worker may have taken it
                now = utcnow()
                result = conn.execute(trials_table.update().where(
                    trials_table.c.id == trial_id, trials_table.c.state == TrialState.WAITING.value
                ).values(state=TrialState.RUNNING.value, datetime_start=now, worker=worker, heartbeat=now))
                if result.rowcount == 1:
                    return self._load_trial(conn, trial_id)

    def _require_unfinished(self, conn: Connection, trial_id: int) -> None:
        """Raise unless the trial exists and is not finished; on a server database, lock its row until the transaction
        ends, so that it cannot be finished before the change that follows is committed."""
        row = conn.execute(sa.select(trials_table.c.number, trials_table.c.state).where(trials_table.c.id == trial_id)
                           .with_for_update()).first()
        if row is None:
            raise StorageError(f"no trial with id {trial_id} in {self.name}")
        if row.state in _FINISHED:
            raise TrialStateError(f"trial {row.number} is already {row.state}; a finished trial cannot change")

    @reconnecting
    def set_trial_params(self, trial_id: int, params: dict[str, Any]) -> None:
        with self._write() as conn:
            result = conn.execute(trials_table.update().where(
                trials_table.c.id == trial_id, trials_table.c.state.notin_(_FINISHED)).values(params=params))
            if result.rowcount != 1:
                self._require_unfinished(conn, trial_id)

    @reconnecting
    def set_intermediate(self, trial_id: int, step: int, value: float) -> None:
        with self._write() as conn:
            self._require_unfinished(conn, trial_id)
            conn.execute(intermediate_table.delete().where(intermediate_table.c.trial_id == trial_id,
                                                           intermediate_table.c.step == int(step)))
            conn.execute(intermediate_table.insert().values(trial_id=trial_id, step=int(step), value=float(value)))

    @reconnecting
    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        column = trials_table.c.system_attrs if system else trials_table.c.user_attrs
        with self._write() as conn:
            self._require_unfinished(conn, trial_id)
            attrs = dict(conn.execute(sa.select(column).where(trials_table.c.id == trial_id)).scalar_one() or {})
            attrs[key] = value
            conn.execute(trials_table.update().where(trials_table.c.id == trial_id).values({column.name: attrs}))

    @reconnecting
    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None,
                     error: str | None = None) -> FrozenTrial:
        with self._write() as conn:
            result = conn.execute(trials_table.update().where(
                trials_table.c.id == trial_id, trials_table.c.state == TrialState.RUNNING.value
            ).values(state=state.value, objective_values=list(values) if values is not None else None,
                     error=error, datetime_complete=utcnow()))
            if result.rowcount != 1:
                row = conn.execute(sa.select(trials_table.c.number, trials_table.c.state, trials_table.c.objective_values,
                                             trials_table.c.error).where(trials_table.c.id == trial_id)).first()
                if row is None:
                    raise StorageError(f"no trial with id {trial_id} in {self.name}")
                same = (row.state, row.objective_values, row.error) == \
                    (state.value, list(values) if values is not None else None, error)
                if not (same and self.reconnect.retrying):  # else the attempt that lost its connection had committed
                    raise TrialStateError(f"trial {row.number} is {row.state}; only a RUNNING trial can be finished")
            return self._load_trial(conn, trial_id)

    @staticmethod
    def _frozen(row: Any, intermediate: dict[int, float]) -> FrozenTrial:
        return FrozenTrial(
            number=row.number, trial_id=row.id, state=TrialState(row.state), params=dict(row.params or {}),
            values=list(row.objective_values) if row.objective_values is not None else None,
            intermediate=intermediate, user_attrs=dict(row.user_attrs or {}),
            system_attrs=dict(row.system_attrs or {}), datetime_start=row.datetime_start,
            datetime_complete=row.datetime_complete, error=row.error)

    _TRIAL_COLUMNS = [c for c in trials_table.c if c.name not in ("worker", "heartbeat")]

    def _load_trial(self, conn: Connection, trial_id: int) -> FrozenTrial:
        row = conn.execute(sa.select(*self._TRIAL_COLUMNS).where(trials_table.c.id == trial_id)).first()
        if row is None:
            raise StorageError(f"no trial with id {trial_id} in {self.name}")
        inter = {s: v for s, v in conn.execute(
            sa.select(intermediate_table.c.step, intermediate_table.c.value)
            .where(intermediate_table.c.trial_id == trial_id).order_by(intermediate_table.c.step))}
        return self._frozen(row, inter)

    @reconnecting
    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._read() as conn:
            return self._load_trial(conn, trial_id)

    @reconnecting
    def get_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        with self._cache_lock:
            watermark = self._watermark.get(study_id, 0)
            cached = self._finished.setdefault(study_id, {})
        with self._read() as conn:
            rows = conn.execute(sa.select(*self._TRIAL_COLUMNS).where(
                trials_table.c.study_id == study_id, trials_table.c.id >= watermark)).all()
            fresh_ids = sa.select(trials_table.c.id).where(trials_table.c.study_id == study_id,
                                                           trials_table.c.id >= watermark)
            inter: dict[int, dict[int, float]] = {}
            for tid, step, value in conn.execute(
                    sa.select(intermediate_table.c.trial_id, intermediate_table.c.step, intermediate_table.c.value)
                    .where(intermediate_table.c.trial_id.in_(fresh_ids)).order_by(intermediate_table.c.step)):
                inter.setdefault(tid, {})[step] = value
        fresh: dict[int, FrozenTrial] = {}
        new_watermark: int | None = None
        for row in rows:
            if row.id in cached:
                continue
            trial = self._frozen(row, inter.get(row.id, {}))
            fresh[row.id] = trial
            if not trial.state.is_finished and (new_watermark is None or row.id < new_watermark):
                new_watermark = row.id
        with self._cache_lock:
            for tid, t in fresh.items():
                if t.state.is_finished:
                    cached[tid] = t
            if new_watermark is None:  # everything read is finished: next time, start after the newest
                new_watermark = max([watermark - 1, *(r.id for r in rows)]) + 1
            self._watermark[study_id] = max(self._watermark.get(study_id, 0), new_watermark)
            merged = {**cached, **fresh}
        trials = sorted(merged.values(), key=lambda t: t.number)
        return [t.copy() for t in trials if states is None or t.state in states]

    @reconnecting
    def running_trials(self, study_id: int) -> list[RunningTrial]:
        with self._read() as conn:
            rows = conn.execute(sa.select(trials_table).where(trials_table.c.study_id == study_id,
                                                               trials_table.c.state == TrialState.RUNNING.value)).all()
        return [RunningTrial(self._frozen(r, {}), r.worker, r.heartbeat) for r in rows]

    @reconnecting
    def heartbeat(self, trial_ids: Sequence[int]) -> None:
        if not trial_ids:
            return
        with self._write() as conn:
            conn.execute(trials_table.update().where(trials_table.c.id.in_(list(trial_ids)),
                                                     trials_table.c.state == TrialState.RUNNING.value)
                         .values(heartbeat=utcnow()))

    # --- artifacts --------------------------------------------------------------------------
    @reconnecting
    def put_artifact(self, trial_id: int, name: str, data: bytes) -> None:
        if not self._has_artifacts:
            raise StorageError(f"storage {self.name!r} was opened read-only and predates artifacts; open it for "
                               "writing (a study that runs) to add the table")
        with self._write() as conn:
            if conn.execute(sa.select(trials_table.c.id).where(trials_table.c.id == trial_id)).first() is None:
                raise StorageError(f"no trial with id {trial_id} in {self.name}")
            where = (artifacts_table.c.trial_id == trial_id) & (artifacts_table.c.name == name)
            conn.execute(artifacts_table.delete().where(where))
            conn.execute(artifacts_table.insert().values(trial_id=trial_id, name=name, data=bytes(data)))

    @reconnecting
    def get_artifact(self, trial_id: int, name: str) -> bytes | None:
        if not self._has_artifacts:
            return None
        with self._read() as conn:
            data = conn.execute(sa.select(artifacts_table.c.data).where(
                artifacts_table.c.trial_id == trial_id, artifacts_table.c.name == name)).scalar()
        return None if data is None else bytes(data)

    @reconnecting
    def delete_artifact(self, trial_id: int, name: str) -> None:
        if not self._has_artifacts:
            return
        with self._write() as conn:
            conn.execute(artifacts_table.delete().where(artifacts_table.c.trial_id == trial_id,
                                                        artifacts_table.c.name == name))

    @reconnecting
    def artifact_trials(self, study_id: int, name: str) -> list[int]:
        if not self._has_artifacts:
            return []
        with self._read() as conn:
            return [r[0] for r in conn.execute(
                sa.select(artifacts_table.c.trial_id).join(trials_table, trials_table.c.id == artifacts_table.c.trial_id)
                .where(trials_table.c.study_id == study_id, artifacts_table.c.name == name)
                .order_by(artifacts_table.c.trial_id))]

    @contextlib.contextmanager
    def ask_lock(self, study_id: int) -> Iterator[None]:
        """A thread lock, plus a file lock on SQLite or a row lock on server databases, across processes."""
        with self._cache_lock:
            lock = self._thread_locks.setdefault(study_id, threading.Lock())
        with lock:
            if self._file is not None:
                with file_lock(self._file + ".lock"):
                    yield
            elif self._is_sqlite:
                yield
            else:
                conn = self.reconnect.run(lambda: self._lock_row(study_id))
                try:
                    yield
                finally:
                    self._unlock_row(conn)

    def _lock_row(self, study_id: int) -> Connection:
        """A connection in a transaction that holds the study's lock row FOR UPDATE (inserted the first time)."""
        lock_row = sa.select(locks_table.c.study_id).where(locks_table.c.study_id == study_id).with_for_update()
        conn = self.engine.connect()
        try:
            conn.begin()
            if conn.execute(lock_row).first() is None:
                with contextlib.suppress(IntegrityError), conn.begin_nested():
                    conn.execute(locks_table.insert().values(study_id=study_id))
                conn.execute(lock_row)
        except BaseException:
            conn.close()
            raise
        return conn

    def _unlock_row(self, conn: Connection) -> None:
        """End the lock's transaction. A connection lost meanwhile needs nothing: the server ended its transaction,
        and the lock with it."""
        try:
            conn.commit()
        except DBAPIError as exc:
            if not is_disconnect(exc):
                raise
        finally:
            conn.close()

    def close(self) -> None:
        self.engine.dispose()


def _inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT of one row created."""
    key = result.inserted_primary_key
    assert key is not None  # every INSERT of one row has one
    return int(key[0])
