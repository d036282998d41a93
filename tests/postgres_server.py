"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, on a Unix socket.

One server serves the whole test run (starting a cluster takes a second or two); each test gets a
schema of its own (:meth:`PostgresServer.create_schema`, milliseconds, where a database takes tenths of a
second), dropped after it, so that tests stay independent.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORT = 54329  # names the socket file only: the server listens on no TCP port


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server program: on the PATH, else where Debian installs it (/usr/lib/postgresql/N/bin)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    for folder in reversed(versions):
        if (folder / name).exists():
            return str(folder / name)
    return None


def available() -> bool:
    return pg_bin("initdb") is not None and pg_bin("pg_ctl") is not None


class PostgresServer:
    """A running cluster that accepts the superuser ``postgres`` without a password on its Unix socket."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "sock"
        self._names = itertools.count()
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # PostgreSQL refuses root

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket}&port={PORT}"

    def _pg(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> None:
        """Create the cluster and start the server."""
        initdb = pg_bin("initdb")
        assert initdb, "PostgreSQL's initdb is not installed"
        self.socket.mkdir()
        if self._as_user:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket, "postgres")
        self._pg(initdb, "-D", str(self.root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.resume()

    def resume(self) -> None:
        """Start the server of the cluster (again, after :meth:`stop`)."""
        pg_ctl = pg_bin("pg_ctl")
        assert pg_ctl, "PostgreSQL's pg_ctl is not installed"
        # no fsync, for speed: a stopped server (a crash) keeps every commit, which is in the system's cache,
        # though a crash of the machine would not
        options = f"-k {self.socket} -p {PORT} -c listen_addresses='' -c max_connections=300 -c fsync=off " \
                  "-c full_page_writes=off"
        self._pg(pg_ctl, "-D", str(self.root / "data"), "-w", "-l", str(self.root / "log"), "-o", options, "start")

    def stop(self) -> None:
        """Stop the server at once (its clients' connections drop); the cluster stays, for :meth:`resume`."""
        pg_ctl = pg_bin("pg_ctl")
        assert pg_ctl
        subprocess.run([*self._as_user, pg_ctl, "-D", str(self.root / "data"), "-w", "-m", "immediate", "stop"],
                       capture_output=True)

    def _admin(self, sql: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def create_database(self) -> str:
        """A new empty database; returns its URL (a few hundred milliseconds)."""
        name = f"hn_test_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url``, ending the connections still open to it."""
        import sqlalchemy as sa

        name = sa.engine.make_url(url).database
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def create_schema(self) -> str:
        """A new empty schema in the database ``postgres``; returns a URL whose connections use it (milliseconds)."""
        name = f"hn_test_{next(self._names)}"
        self._admin(f"CREATE SCHEMA {name}")
        return f"{self.url()}&options=-csearch_path%3D{name}"

    def drop_schema(self, url: str) -> None:
        """Drop the schema of a :meth:`create_schema` URL with all it holds."""
        name = url.rsplit("%3D", 1)[1]
        self._admin(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL cluster in a temporary folder; stop and remove it after."""
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="hypernas-pg-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
