"""``SqlStore``: ``ImmersionTrackingStore`` written once in SQLAlchemy Core.

Every query of the SQL stores lives in this package (``writes``, ``reads``, ``maintenance``);
a backend module (``immersion.stores.sqlite``, later ``postgresql`` and ``mysql``) is a thin
subclass that only supplies what truly differs between engines, through these hooks:

``capabilities``            what the engine supports (a property).
``insert_ignore(table, cols)``
                            an ``INSERT`` that silently skips rows whose ``cols`` already exist
                            (SQLite/PostgreSQL ``ON CONFLICT DO NOTHING``; MySQL
                            ``ON DUPLICATE KEY UPDATE col = col``). Executed with one or many
                            parameter dicts (executemany).
``upsert(table, cols, updates)``
                            an ``INSERT`` that updates an existing row instead; ``updates``
                            receives the "incoming row" namespace (``excluded`` on
                            SQLite/PostgreSQL, ``inserted`` on MySQL) and returns the ``SET``
                            clause.
``_compact()``              reclaim space (SQLite ``VACUUM``; PostgreSQL ``VACUUM ANALYZE``
                            in autocommit; MySQL ``OPTIMIZE TABLE``). ``compact()`` wraps it.
``begin_write()``           a connection in a write transaction (default ``engine.begin()``;
                            SQLite takes the write lock up front with ``BEGIN IMMEDIATE``).
``begin_schema()``          the transaction migrations run in (default ``begin_write()``;
                            SQLite turns foreign keys off for it, see ``SqliteStore``).
``lock_schema(connection)`` serialize schema creation/upgrade between processes inside that
                            transaction; default nothing (SQLite's ``BEGIN IMMEDIATE`` already
                            does). PostgreSQL: ``pg_advisory_xact_lock``; MySQL: ``GET_LOCK``.
``storage_size_bytes()``    the space the data takes (SQLite: pages plus WAL; PostgreSQL:
                            ``pg_total_relation_size`` of our tables; MySQL: data and index
                            length of the database); default ``None``.
``backup_before_upgrade(rev)``
                            copy the database before a schema upgrade; default: no backup
                            (server databases are backed up by their administrators).
``bulk_insert(connection, kind, spec, rows)``
                            the insert of ``load_records`` (``bulk_io``, mixed in): ``COPY``
                            on PostgreSQL for telemetry and events, executemany elsewhere.

The constructor takes a ready ``Engine``: the subclass builds it (URL, pool size, connect
timeout, TLS, pre-ping) and passes ``database=errors.safe_url(url)`` and the password in
``secrets`` so no message ever shows it. A server store also passes a ``read_engine`` in
autocommit with no reset on return: both servers run READ COMMITTED, where every statement
takes its own snapshot anyway, so a read transaction only added a ``BEGIN`` and a
``ROLLBACK`` round trip to every read (measured: a one-row read on PostgreSQL 0.88 -> 0.39 ms).

Errors leave through ``translate_errors`` only (see ``errors``). Integer surrogate keys never
leave the adapter.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.sql.dml import Insert

from ...domain import EventType, Session, TelemetrySample, TrackedEvent, Video
from ...errors import PermanentStoreError
from ...localtime import zone_named
from ...results import SchemaStatus, SessionSummary, StoreCapabilities
from ...store import PruneCutoffs
from ...writes import Write
from ..analytics_reads import AnalyticsReads, AnalyticsSource
from ..validation import validate_batch
from . import maintenance, migrate, reads, rollups
from .analytics import SqlSource
from .bulk_io import BulkIO
from .errors import translate_errors
from .hooks import UpdateBuilder
from .write_connection import HeldConnection
from .writes import BatchWriter

__all__ = ["READ_ENGINE_OPTIONS", "SqlStore"]

# ``create_engine`` options of a server store's ``read_engine`` (see the module docstring):
# autocommit, and no ROLLBACK round trip when a read's connection goes back to the pool.
READ_ENGINE_OPTIONS: dict[str, Any] = {
    "isolation_level": "AUTOCOMMIT",
    "pool_reset_on_return": None,
    "skip_autocommit_rollback": True,
}


class SqlStore(BulkIO, AnalyticsReads):
    """The shared SQL implementation; subclasses supply the engine and the dialect hooks.

    The analytics reads (rollups, throughput, streaks, trends, overview, video stats) are the
    shared ones of ``analytics_reads`` over ``sql.analytics.SqlSource``."""

    def __init__(
        self,
        engine: Engine,
        *,
        database: str,
        read_only: bool = False,
        secrets: Iterable[str] = (),
        timezone: str | None = None,
        read_engine: Engine | None = None,
    ) -> None:
        """``database`` names the database in messages: a path, or a URL without password
        (``errors.safe_url``); ``secrets`` are redacted from every message as well;
        ``timezone``: the IANA zone ``today=None`` is taken in (``None``: the system's);
        ``read_engine``: what reads connect through (default ``engine``)."""
        self._zone = zone_named(timezone)
        self._engine = engine
        self._read_engine = engine if read_engine is None else read_engine
        self._database = database
        self._read_only = read_only
        self._secrets = tuple(secrets)
        self._closed = False
        # One writer at a time inside this process: the engine would serialize them anyway,
        # but through busy waits; the lock also guards the id caches of the writer.
        self._write_lock = threading.Lock()
        self._writer = BatchWriter(self)
        self._batches = HeldConnection(self.write_connection)  # write_batch's connection

    # ----------------------------------------------------------------- dialect hooks

    @property
    @abc.abstractmethod
    def capabilities(self) -> StoreCapabilities:
        """What this store supports (see ``StoreCapabilities``)."""

    @abc.abstractmethod
    def insert_ignore(self, table: Table, conflict_columns: Sequence[str]) -> Insert:
        """``INSERT`` into ``table`` skipping rows whose ``conflict_columns`` exist."""

    @abc.abstractmethod
    def upsert(
        self, table: Table, conflict_columns: Sequence[str], updates: UpdateBuilder
    ) -> Insert:
        """``INSERT`` into ``table``, or update the row with the same ``conflict_columns``
        with ``updates(incoming)`` (``incoming.<column>`` is the value being inserted)."""

    @abc.abstractmethod
    def _compact(self) -> None:
        """Reclaim space and refresh planner statistics (engine specific)."""

    def begin_write(self) -> AbstractContextManager[Connection]:
        """A connection inside a write transaction, committed when the block succeeds."""
        return self._engine.begin()

    def write_connection(self) -> Connection:
        """A new connection for write transactions (``write_batch`` keeps one between
        batches: ``sql.write_connection``); default ``engine.connect()``."""
        return self._engine.connect()

    def begin_schema(self) -> AbstractContextManager[Connection]:
        """A connection inside the transaction that creates or upgrades the schema
        (default: ``begin_write``)."""
        return self.begin_write()

    def lock_schema(self, connection: Connection) -> None:
        """Keep other processes from migrating the schema until this transaction ends."""

    def backup_before_upgrade(self, from_revision: str) -> str | None:
        """Back the database up before upgrading it from ``from_revision``; return where."""
        return None

    # ----------------------------------------------------------------- plumbing

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def read_engine(self) -> Engine:
        """What the reads connect through (the engine itself unless the backend gave one)."""
        return self._read_engine

    @property
    def database(self) -> str:
        """The database as shown in messages (never with a password)."""
        return self._database

    @property
    def read_only(self) -> bool:
        return self._read_only

    def _check_usable(self, operation: str, *, writes: bool = False) -> None:
        if self._closed:
            raise PermanentStoreError(f"{operation} on {self._database}: the store is closed")
        if writes and self._read_only:
            raise PermanentStoreError(
                f"{operation} on {self._database}: the store was opened read-only"
            )

    def _usable(self, operation: str, *, writes: bool = False) -> AbstractContextManager[None]:
        """Refuse a closed (or, for ``writes``, read-only) store; translate errors."""
        self._check_usable(operation, writes=writes)
        return translate_errors(operation, self._database, secrets=self._secrets)

    @contextmanager
    def _reading(self, operation: str) -> Iterator[Connection]:
        with self._usable(operation), self._read_engine.connect() as connection:
            yield connection

    @contextmanager
    def _writing(self, operation: str) -> Iterator[Connection]:
        with (
            self._usable(operation, writes=True),
            self._write_lock,
            self.begin_write() as connection,
        ):
            yield connection

    # ----------------------------------------------------------------- lifecycle

    def create_or_upgrade_schema(self) -> SchemaStatus:
        with self._usable("create_or_upgrade_schema"):
            if self._read_only:
                with self._engine.connect() as connection:
                    return migrate.ensure_schema(
                        connection, database=self._database, read_only=True
                    )
            with self._write_lock, self.begin_schema() as connection:
                self.lock_schema(connection)
                status = migrate.ensure_schema(
                    connection, database=self._database, backup=self.backup_before_upgrade
                )
            if status.upgraded_from is not None:
                # Sessions that ended before the rollup revision were copied into the ledger
                # by the upgrade; bring their lifetime totals and rollups up to date now.
                self.update_rollups()
            return status

    def schema_status(self) -> SchemaStatus:
        with self._reading("schema_status") as connection:
            current = migrate.current_revision(connection)
        return SchemaStatus(current_revision=current, head_revision=migrate.head_revision())

    def storage_size_bytes(self) -> int | None:
        """Hook: the engine's measure of the store's size in bytes; default ``None``
        (unknown)."""
        return None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._write_lock:
            self._batches.close()
            self._engine.dispose()
            if self._read_engine is not self._engine:
                self._read_engine.dispose()

    # ----------------------------------------------------------------- writes

    def write_batch(self, writes: Sequence[Write]) -> None:
        if not writes:
            self._check_usable("write_batch", writes=True)
            return
        checked = validate_batch(writes)  # the reference model's checks: all reject the same
        with self._usable("write_batch", writes=True), self._write_lock:
            with self._batches as connection:
                learnt = self._writer.apply(connection, checked)
            # Only ids of a committed transaction are cached: a rolled-back batch teaches
            # nothing. Still under the lock, so a prune cannot slip in between.
            self._writer.remember(learnt)

    # ----------------------------------------------------------------- maintenance

    def close_stale_sessions(self, last_activity_before_ms: int) -> int:
        with self._writing("close_stale_sessions") as connection:
            return maintenance.close_stale_sessions(
                connection, self._writer.statements.rollups, last_activity_before_ms
            )

    def update_rollups(self) -> int:
        with self._writing("update_rollups") as connection:
            rollups.apply_pending(connection, self._writer.statements.rollups)
            return rollups.recompute_dirty(connection)

    def prune(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        with self._usable("prune", writes=True), self._write_lock:
            with self.begin_write() as connection:
                deleted = maintenance.prune(connection, cutoffs)
            if deleted["sessions"]:
                self._writer.forget_sessions()
            return deleted

    def compact(self) -> None:
        with self._usable("compact", writes=True), self._write_lock:
            self._compact()

    def get_state(self, key: str) -> str | None:
        with self._reading("get_state") as connection:
            return maintenance.get_state(connection, key)

    def set_state(self, key: str, value: str) -> None:
        with self._writing("set_state") as connection:
            maintenance.set_state(connection, self, key, value)

    # ----------------------------------------------------------------- lookups

    def get_video(self, video_key: str) -> Video | None:
        with self._reading("get_video") as connection:
            return reads.get_video(connection, video_key)

    def get_session(self, session_uuid: str) -> Session | None:
        with self._reading("get_session") as connection:
            return reads.get_session(connection, session_uuid)

    # ----------------------------------------------------------------- reads

    def session_summaries(
        self, limit: int = 50, video_key: str | None = None
    ) -> list[SessionSummary]:
        if limit <= 0:
            return []
        with self._reading("session_summaries") as connection:
            return reads.session_summaries(connection, limit, video_key)

    def session_timeline(
        self, session_uuid: str, limit: int | None = None
    ) -> list[TelemetrySample]:
        if limit is not None and limit <= 0:
            return []
        with self._reading("session_timeline") as connection:
            return reads.session_timeline(connection, session_uuid, limit)

    def session_events(
        self,
        session_uuid: str,
        limit: int = 500,
        event_types: Collection[EventType] | None = None,
    ) -> list[TrackedEvent]:
        if limit <= 0 or (event_types is not None and not event_types):
            return []
        with self._reading("session_events") as connection:
            return reads.session_events(connection, session_uuid, limit, event_types)

    @contextmanager
    def _analytics(self, operation: str) -> Iterator[AnalyticsSource]:
        with self._reading(operation) as connection:
            yield SqlSource(connection)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._database!r})"
