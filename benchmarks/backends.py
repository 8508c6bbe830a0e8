"""The backends a run measures, each in a database of its own that the run removes afterwards.

- ``memory``: ``MemoryStore`` (the reference model; no targets apply to it).
- ``sqlite``: one file in the run's work directory.
- ``postgresql``: a new schema ``bench_<hex>`` in the server's database, dropped after.
- ``mysql``: a new database ``bench_<hex>`` (utf8mb4_bin) on the server, dropped after; the
  driver is the URL's (``mysql+mysqldb``: mysqlclient, ``mysql+pymysql``: PyMySQL; a bare
  ``mysql://``, the default, takes mysqlclient when it is installed, as the store does).

Server URLs come from ``--postgresql-url`` / ``--mysql-url``, else from the test suite's
variables ``IMMERSION_TEST_POSTGRESQL_URL`` / ``IMMERSION_TEST_MYSQL_URL``, else the local
defaults below. Stores are built by the provider registry from a ``TrackerConfig``, exactly as
the application builds them. A ``Backend`` also gives what the benchmarks need besides the
store: a raw driver connection with the store's session settings (the ingest baseline), a way
to lock the tables from another connection (the record cost "locked"), sizes on disk and the
server's version.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from immersion.config import TrackerConfig
from immersion.store import ImmersionTrackingStore
from immersion.stores.registry import create_store

from .generator import ZONE

__all__ = ["BACKENDS", "DEFAULT_URLS", "Backend", "prepared_backend", "server_url"]

BACKENDS = ("memory", "sqlite", "postgresql", "mysql")
DEFAULT_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql://root@127.0.0.1:3306/test",
}
_ENV = {"postgresql": "IMMERSION_TEST_POSTGRESQL_URL", "mysql": "IMMERSION_TEST_MYSQL_URL"}
# The store's SQLite session settings (immersion.stores.sqlite), for the raw baseline.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 2500",
)
# Tables the tracker's batches write: locking them stalls the worker.
_WRITTEN_TABLES = ("videos", "sessions", "telemetry", "events")


def server_url(kind: str, given: str | None = None) -> str:
    """The admin URL of the ``kind`` server (see the module docstring)."""
    return given or os.environ.get(_ENV[kind]) or DEFAULT_URLS[kind]


@dataclass
class Backend:
    """One backend's database for the length of a run."""

    kind: str
    config: TrackerConfig
    url: sa.URL | None = None  # servers: the scratch database/schema
    path: Path | None = None  # sqlite: the database file

    def open_store(self) -> ImmersionTrackingStore:
        """A new store on this backend's database, schema created (memory: a new, empty
        store each time)."""
        store = create_store(self.config)
        store.create_or_upgrade_schema()
        return store

    # ----------------------------------------------------------------- raw driver

    @property
    def paramstyle(self) -> str:
        return "?" if self.kind == "sqlite" else "%s"

    @property
    def driver(self) -> str | None:
        """SQLAlchemy's name of the store's driver (``mysql+mysqldb``, ...); memory: None."""
        if self.kind == "memory":
            return None
        if self.kind == "sqlite":
            return "sqlite+pysqlite"
        if self.kind == "postgresql":
            return "postgresql+psycopg"
        from immersion.stores import mysql

        return mysql.url_from_config(self.config.storage).drivername

    def raw_connection(self) -> Any:
        """A plain DB-API connection of the store's driver, not in autocommit (SQLite: in
        autocommit, transactions begun by the caller), with the store's session settings."""
        if self.kind == "sqlite":
            assert self.path is not None
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in _SQLITE_PRAGMAS:
                connection.execute(pragma)
            return connection
        assert self.url is not None
        if self.kind == "postgresql":
            import psycopg

            target = self.url.set(drivername="postgresql")
            return psycopg.connect(target.render_as_string(hide_password=False))
        from immersion.stores.mysql import SQL_MODE
        from immersion.stores.mysql_drivers import MYSQLCLIENT, connect_arguments

        driver = self.driver
        assert driver is not None
        module = importlib.import_module("MySQLdb" if driver == MYSQLCLIENT else "pymysql")
        return module.connect(
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 3306,
            user=self.url.username or "root",
            password=self.url.password or "",
            database=self.url.database,
            **connect_arguments(driver, sql_mode=SQL_MODE, connect_timeout_s=5.0, ssl_ca=None),
        )

    def begin_sql(self) -> str | None:
        """What the raw baseline runs to open a write transaction (``None``: implicit)."""
        return "BEGIN IMMEDIATE" if self.kind == "sqlite" else None

    @contextmanager
    def tables_locked(self) -> Iterator[None]:
        """Another connection holds a write lock on the tables the tracker writes."""
        if self.kind == "memory":
            raise ValueError("a memory store cannot be locked")
        connection = self.raw_connection()
        try:
            cursor = connection.cursor()
            if self.kind == "sqlite":
                cursor.execute("BEGIN EXCLUSIVE")
            elif self.kind == "postgresql":
                cursor.execute(f"LOCK TABLE {', '.join(_WRITTEN_TABLES)} IN EXCLUSIVE MODE")
            else:
                cursor.execute("LOCK TABLES " + ", ".join(f"{t} WRITE" for t in _WRITTEN_TABLES))
            yield
        finally:
            if self.kind == "mysql":
                connection.cursor().execute("UNLOCK TABLES")
            connection.rollback()
            connection.close()

    # ----------------------------------------------------------------- facts

    def server_version(self) -> str | None:
        if self.kind == "memory":
            return None
        if self.kind == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        with closing(self.raw_connection()) as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT version()")
            version = str(cursor.fetchone()[0])
        return version if self.kind == "postgresql" else f"MariaDB/MySQL {version}"


@contextmanager
def prepared_backend(
    kind: str, workdir: Path, *, admin_url: str | None = None
) -> Iterator[Backend]:
    """A ``Backend`` of ``kind`` with an empty database, removed when the block ends."""
    if kind not in BACKENDS:
        raise ValueError(f"unknown backend {kind!r}; expected one of {', '.join(BACKENDS)}")
    if kind == "memory":
        yield Backend(kind, TrackerConfig(timezone=ZONE, storage={"provider": "memory"}))
        return
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite"
        storage = {"provider": "sqlite", "path": str(path)}
        try:
            yield Backend(kind, TrackerConfig(timezone=ZONE, storage=storage), path=path)
        finally:
            for leftover in workdir.glob(f"{path.name}*"):
                leftover.unlink(missing_ok=True)
        return
    admin = sa.make_url(server_url(kind, admin_url))
    if kind == "mysql":  # the driver spelled out: SQLAlchemy alone would take mysqlclient
        from immersion.stores.mysql_drivers import driver_url

        admin = driver_url(admin)
    with _scratch(kind, admin) as url:
        storage = {"provider": kind, "url": url.render_as_string(hide_password=False)}
        yield Backend(kind, TrackerConfig(timezone=ZONE, storage=storage), url=url)


@contextmanager
def _scratch(kind: str, admin_url: sa.URL) -> Iterator[sa.URL]:
    """A new schema (PostgreSQL) or database (MySQL), dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if kind == "postgresql":
                connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
            else:
                connection.exec_driver_sql(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )
        try:
            if kind == "postgresql":
                yield admin_url.update_query_dict({"options": f"-csearch_path={name}"})
            else:
                yield admin_url.set(database=name)
        finally:
            with admin.connect() as connection:
                if kind == "postgresql":
                    connection.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
                else:
                    connection.exec_driver_sql(f"DROP DATABASE `{name}`")
    finally:
        admin.dispose()


def locked_or_not(backend: Backend, locked: bool) -> AbstractContextManager[None]:
    return backend.tables_locked() if locked else nullcontext()
