"""``SqliteStore``: the embedded default store, one SQLite file on SQLAlchemy Core.

Every connection gets the pragmas of the domain reference §4 (WAL, ``synchronous=NORMAL``,
foreign keys on, a busy timeout of 2500 ms, a 64 MiB journal size limit). WAL lets the
tracker's worker write while other threads read, each on its own pooled connection; write
transactions begin with ``BEGIN IMMEDIATE`` so a writer queues on the busy timeout up front
instead of failing half-way when it upgrades a read lock.

``read_only=True`` opens the file with ``mode=ro`` and refuses every write with a
``PermanentStoreError`` before touching the file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool
from sqlalchemy.sql.dml import Insert

from ..config import TrackerConfig
from ..errors import ConfigError, SchemaError
from ..results import StoreCapabilities
from .sql.base import SqlStore
from .sql.compaction import worth_rebuilding
from .sql.hooks import UpdateBuilder

__all__ = ["DEFAULT_BUSY_TIMEOUT_MS", "SqliteStore", "from_config"]

DEFAULT_BUSY_TIMEOUT_MS = 2500
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

_CAPABILITIES = StoreCapabilities(
    rollups=True,
    retention=True,
    compaction=True,
    durable=True,
    concurrent_writers=False,
)

# Execution option marking a connection whose transactions take the write lock up front.
_IMMEDIATE = "immersion_sqlite_immediate"


class SqliteStore(SqlStore):
    """The store in one SQLite file at ``path`` (its directory is created when missing, on
    first use). Nothing touches the file before the first call."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        pool_size: int = 5,
        timezone: str | None = None,
    ) -> None:
        """``busy_timeout_ms``: how long a statement waits for another connection's lock
        before failing with ``TransientStoreError``; ``timezone``: the IANA zone the analytics
        reads take ``today`` in (``None``: the system's local zone)."""
        if str(path) in {"", ":memory:"} or str(path).startswith("file:"):
            raise ValueError(
                f"SqliteStore needs a file path, got {str(path)!r} (use MemoryStore for a "
                "store in memory)"
            )
        if busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must not be negative")
        self._path = Path(path).expanduser().absolute()
        self._busy_timeout_ms = int(busy_timeout_ms)
        super().__init__(
            self._engine_for(read_only, pool_size),
            database=str(self._path),
            read_only=read_only,
            timezone=timezone,
        )

    @property
    def path(self) -> Path:
        return self._path

    # ----------------------------------------------------------------- connections

    def _connect(self, read_only: bool) -> sqlite3.Connection:
        if read_only:
            if not self._path.exists():
                # sqlite's own message would only say "unable to open database file"
                raise sqlite3.OperationalError(
                    f"unable to open database file: {self._path} does not exist"
                )
            target, uri = f"{self._path.as_uri()}?mode=ro", True
        else:
            try:  # here, not in __init__: a failure is then a StoreError like any other
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise sqlite3.OperationalError(
                    f"unable to open database file: cannot create {self._path.parent}: "
                    f"{exc.strerror or exc}"
                ) from exc
            target, uri = str(self._path), False
        return sqlite3.connect(
            target,
            uri=uri,
            timeout=self._busy_timeout_ms / 1000,
            # The pool hands connections to whichever thread asks; one thread at a time.
            check_same_thread=False,
            # Transactions are begun explicitly (see _on_begin), never implicitly by sqlite3.
            isolation_level=None,
        )

    def _engine_for(self, read_only: bool, pool_size: int) -> Engine:
        engine = create_engine(
            "sqlite+pysqlite://",
            creator=lambda: self._connect(read_only),
            # A file database: a real pool, so a reader never waits for the writer's
            # connection (the URL has no path, which would otherwise pick a singleton pool).
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=2 * pool_size,
        )
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "begin", _on_begin)
        return engine

    def _on_connect(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        pragmas = [
            f"PRAGMA busy_timeout = {self._busy_timeout_ms}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = NORMAL",
            f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}",
        ]
        if not self.read_only:
            # Persistent in the file; a read-only connection could not switch it anyway.
            pragmas.insert(1, "PRAGMA journal_mode = WAL")
        with closing(dbapi_connection.cursor()) as cursor:
            for pragma in pragmas:
                cursor.execute(pragma)

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self.write_connection() as connection, connection.begin():
            yield connection

    def begin_write(self) -> Any:
        return self._write_transaction()

    def write_connection(self) -> Connection:
        connection = self.engine.connect()
        connection.execution_options(**{_IMMEDIATE: True})
        return connection

    @contextmanager
    def _schema_transaction(self) -> Iterator[Connection]:
        # Alembic rebuilds a SQLite table to alter it (copy, DROP, rename). With foreign keys
        # on, dropping the old sessions table would cascade-delete every sample and event, so
        # migrations run with them off (only possible outside a transaction) and the result
        # is checked before the commit instead.
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys = OFF")
            try:
                connection.execution_options(**{_IMMEDIATE: True})
                with connection.begin():
                    yield connection
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(
                            f"{self.database}: the schema upgrade left {len(broken)} rows "
                            f"with broken foreign keys (first: {tuple(broken[0])}); rolled back"
                        )
            finally:
                driver.execute("PRAGMA foreign_keys = ON")

    def begin_schema(self) -> Any:
        return self._schema_transaction()

    # ----------------------------------------------------------------- dialect hooks

    @property
    def capabilities(self) -> StoreCapabilities:
        return _CAPABILITIES

    def insert_ignore(self, table: Table, conflict_columns: Sequence[str]) -> Insert:
        return sqlite_dialect.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)

    def upsert(
        self, table: Table, conflict_columns: Sequence[str], updates: UpdateBuilder
    ) -> Insert:
        statement = sqlite_dialect.insert(table)
        return statement.on_conflict_do_update(
            index_elements=conflict_columns, set_=dict(updates(statement.excluded))
        )

    def _compact(self) -> None:
        """``VACUUM`` (a rewrite of the whole file) only when the free pages are
        ``worth_rebuilding``; then refresh the planner statistics."""
        # VACUUM cannot run inside a transaction: use the driver connection directly (it is
        # in autocommit mode, see _connect).
        raw = self.engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            free_pages, pages, page_size = (
                int(driver.execute(f"PRAGMA {name}").fetchone()[0])
                for name in ("freelist_count", "page_count", "page_size")
            )
            if worth_rebuilding((pages - free_pages) * page_size, free_pages * page_size):
                driver.execute("VACUUM")
            driver.execute("PRAGMA optimize")
        finally:
            raw.close()

    def storage_size_bytes(self) -> int | None:
        """The database's pages plus its write-ahead log (not yet checkpointed data)."""
        with self._reading("storage_size_bytes") as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            page_size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
        try:
            wal_bytes = Path(f"{self._path}-wal").stat().st_size
        except OSError:  # no WAL file (checkpointed and removed, or read-only)
            wal_bytes = 0
        return int(pages) * int(page_size) + wal_bytes

    def backup_before_upgrade(self, from_revision: str) -> str | None:
        """Copy the database next to itself (``<name>.bak-<revision>-<UTC time>``) with
        SQLite's online backup, which reads a consistent snapshot even in WAL mode. The copy
        is one self-contained file: restoring is copying it back over the database."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = self._path.with_name(f"{self._path.name}.bak-{from_revision}-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = self._path.with_name(
                f"{self._path.name}.bak-{from_revision}-{stamp}-{counter}"
            )
        try:
            with (
                closing(self._connect(read_only=True)) as source,
                closing(sqlite3.connect(target)) as copy,
            ):
                source.backup(copy)
                # One self-contained file (the copy inherits WAL mode from the source).
                copy.execute("PRAGMA journal_mode = DELETE")
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return str(target)


def _on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    # Straight on the driver: SQLAlchemy's execution costs more than the statement, and this
    # runs for every batch. A failure is wrapped as SQLAlchemy would have wrapped it.
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:
        raise sa_exc.DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def from_config(config: TrackerConfig) -> SqliteStore:
    """The provider factory (``storage.provider = "sqlite"``).

    ``storage.path`` (default: ``immersion.sqlite`` in the user data directory);
    ``storage.options`` may set ``busy_timeout_ms`` and ``read_only``; ``timezone`` is the
    configured one.
    """
    storage = config.storage
    options = dict(storage.options)
    busy = options.pop("busy_timeout_ms", DEFAULT_BUSY_TIMEOUT_MS)
    read_only = options.pop("read_only", False)
    if options:
        raise ConfigError(f"unknown sqlite storage options: {', '.join(sorted(options))}")
    if not isinstance(busy, int) or isinstance(busy, bool) or busy < 0:
        raise ConfigError(f"storage.options.busy_timeout_ms must be an integer >= 0, got {busy!r}")
    if not isinstance(read_only, bool):
        raise ConfigError(f"storage.options.read_only must be true or false, got {read_only!r}")
    return SqliteStore(
        storage.sqlite_path(), read_only=read_only, busy_timeout_ms=busy, timezone=config.timezone
    )
