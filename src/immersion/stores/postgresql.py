"""``PostgresqlStore``: the SQL store on a PostgreSQL server (psycopg 3, ``postgresql+psycopg``).

Everything but connection handling lives in ``immersion.stores.sql``; this module supplies:

- the engines: for writes a ``QueuePool`` of ``pool_size`` connections (as many again in
  overflow), and one as large for reads, in autocommit (see ``SqlStore``);
  ``pre_ping`` to replace connections the server dropped, libpq's ``connect_timeout``, and
  TLS options (``sslmode``, ``sslrootcert``) handed to libpq unchanged;
- upserts as ``INSERT ... ON CONFLICT``;
- ``lock_schema``: a transaction-scoped advisory lock keyed by the current schema, so two
  processes creating or upgrading the same schema at once take turns (PostgreSQL runs DDL
  inside the transaction, so the second one sees the first one's finished work);
- ``_compact``: ``VACUUM (ANALYZE)`` of the store's tables, in autocommit;
- no file backup before a schema upgrade: a server database is backed up with ``pg_dump``
  by whoever runs the server; the upgrade logs that advice instead.

Key columns use ``COLLATE "C"`` (code point order, exact comparison) and every time is a
``BIGINT`` of epoch ms. Isolation is PostgreSQL's default READ COMMITTED; deadlocks and
serialization failures surface as ``TransientStoreError`` and the tracker retries the batch.
The password never appears in messages: the store is named by its URL with ``***``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Table, create_engine, text
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.sql.dml import Insert

from ..config import StorageConfig, TrackerConfig
from ..errors import ConfigError
from ..results import StoreCapabilities
from .sql import migrate, schema
from .sql.base import READ_ENGINE_OPTIONS, SqlStore
from .sql.errors import parse_url
from .sql.hooks import UpdateBuilder

__all__ = ["DEFAULT_PORT", "DRIVER", "PostgresqlStore", "from_config", "url_from_config"]

DRIVER = "postgresql+psycopg"
DEFAULT_PORT = 5432
# Accepted spellings of the backend in a URL; all mean psycopg 3.
_BACKENDS = {"postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg"}
# How long a schema change waits for another process's before giving up (transiently).
SCHEMA_LOCK_TIMEOUT_S = 60
# First half of the advisory lock key: "imms" in ASCII, the second half is the schema's hash.
_ADVISORY_CLASS = 0x696D6D73

_CAPABILITIES = StoreCapabilities(
    rollups=True,
    retention=True,
    compaction=True,
    durable=True,
    concurrent_writers=True,
    networked=True,
)

log = logging.getLogger("immersion.stores.postgresql")


class PostgresqlStore(SqlStore):
    """The store in a PostgreSQL database (or, through the URL's ``options``, one schema of
    it). Nothing connects before the first call."""

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int = 5,
        connect_timeout_s: float = 5.0,
        pre_ping: bool = True,
        connect_args: Mapping[str, Any] | None = None,
        read_only: bool = False,
        timezone: str | None = None,
    ) -> None:
        """``url``: ``postgresql+psycopg://user:password@host:port/database`` (``postgresql://``
        means the same); ``connect_args`` go to ``psycopg.connect`` as given (``sslmode``,
        ``sslrootcert``, ...); ``timezone``: the IANA zone the analytics reads take ``today``
        in (``None``: the system's)."""
        target = _psycopg_url(url)
        arguments: dict[str, Any] = {
            # libpq takes whole seconds and treats anything below 2 as 2
            "connect_timeout": max(2, math.ceil(connect_timeout_s)),
            "application_name": "immersion-tracker",
        }
        arguments.update(connect_args or {})
        options: dict[str, Any] = {
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_pre_ping": pre_ping,
            # parameter values (learners' titles, subtitle text) stay out of error messages
            "hide_parameters": True,
            "connect_args": arguments,
        }
        engine = create_engine(target, **options)
        # Reads get a pool of their own in autocommit (see ``SqlStore``): no BEGIN before and
        # no ROLLBACK after each read.
        reads = create_engine(target, **READ_ENGINE_OPTIONS, **options)
        shown = target.set(port=target.port or DEFAULT_PORT)
        super().__init__(
            engine,
            database=shown.render_as_string(hide_password=True),
            read_only=read_only,
            secrets=[target.password] if target.password else [],
            timezone=timezone,
            read_engine=reads,
        )

    # ----------------------------------------------------------------- dialect hooks

    @property
    def capabilities(self) -> StoreCapabilities:
        return _CAPABILITIES

    def insert_ignore(self, table: Table, conflict_columns: Sequence[str]) -> Insert:
        return pg_dialect.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)

    def upsert(
        self, table: Table, conflict_columns: Sequence[str], updates: UpdateBuilder
    ) -> Insert:
        statement = pg_dialect.insert(table)
        return statement.on_conflict_do_update(
            index_elements=conflict_columns, set_=dict(updates(statement.excluded))
        )

    def lock_schema(self, connection: Connection) -> None:
        # Advisory locks are per database; keying by schema lets stores in other schemas of
        # the same database (one per test, one per team) migrate at the same time.
        connection.execute(text(f"SET LOCAL lock_timeout = '{SCHEMA_LOCK_TIMEOUT_S}s'"))
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:kind, hashtext(coalesce(current_schema(), '')))"),
            {"kind": _ADVISORY_CLASS},
        )

    def _compact(self) -> None:
        # VACUUM refuses to run inside a transaction block.
        preparer = self.engine.dialect.identifier_preparer
        names = ", ".join(preparer.format_table(table) for table in schema.metadata.sorted_tables)
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {names}")

    def storage_size_bytes(self) -> int | None:
        """Our tables in the current schema with their indexes and TOAST data."""
        names = [*schema.metadata.tables, migrate.VERSION_TABLE]
        with self._reading("storage_size_bytes") as connection:
            total = connection.execute(
                text(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                    "AND c.relname = ANY(:names)"
                ),
                {"names": names},
            ).scalar_one()
        return int(total)

    def backup_before_upgrade(self, from_revision: str) -> str | None:
        log.warning(
            "upgrading the schema of %s from revision %s; immersion-tracker makes no backup of "
            "a server database: back it up first (pg_dump --format=custom --file=immersion.dump "
            "<database>) and restore it with pg_restore if the upgrade must be undone",
            self.database,
            from_revision,
        )
        return None


def _psycopg_url(url: str | URL) -> URL:
    """``url`` as a ``postgresql+psycopg`` URL; a malformed one is refused without echoing it
    (it may carry a password)."""
    parsed = parse_url(
        url, engine="PostgreSQL", example="postgresql+psycopg://user:password@host:port/database"
    )
    if parsed.drivername not in _BACKENDS:
        raise ConfigError(
            f"a PostgreSQL URL must start with postgresql+psycopg:// (or postgresql://), "
            f"not {parsed.drivername}://"
        )
    return parsed.set(drivername=DRIVER)


def url_from_config(storage: StorageConfig) -> URL:
    """The server URL from ``storage.url`` and/or the separate fields (a field set overrides
    the same part of the URL, so a password can come from ``IMMERSION_STORAGE__PASSWORD``
    while the URL sits in the file)."""
    if storage.url is not None:
        url = _psycopg_url(storage.url.get_secret_value())
    elif storage.host is not None:
        url = URL.create(DRIVER)
    else:
        raise ConfigError('storage provider "postgresql" needs storage.url or storage.host')
    parts: dict[str, Any] = {
        "host": storage.host,
        "port": storage.port,
        "username": storage.user,
        "password": storage.password.get_secret_value() if storage.password else None,
        "database": storage.database,
    }
    url = url.set(**{name: value for name, value in parts.items() if value is not None})
    if not url.host:
        raise ConfigError('storage provider "postgresql" needs a host (storage.host or the URL)')
    if not url.database:
        raise ConfigError(
            'storage provider "postgresql" needs a database (storage.database or the URL)'
        )
    return url


def _root_cert(value: str | None) -> str | None:
    """``sslrootcert`` checked up front: a missing file is a configuration mistake, not an
    outage (libpq's own special value ``system`` passes unchanged)."""
    if value is None or value == "system":
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"storage.sslrootcert: no such file {path}")
    return str(path)


def from_config(config: TrackerConfig) -> PostgresqlStore:
    """The provider factory (``storage.provider = "postgresql"``).

    Connection: ``storage.url`` or ``host``/``port``/``user``/``password``/``database``; TLS:
    ``sslmode``, ``sslrootcert``; ``pool_size``, ``connect_timeout_s``, ``pre_ping``;
    ``storage.options`` may set ``read_only``.
    """
    storage = config.storage
    if storage.ssl_ca is not None:
        raise ConfigError(
            "storage.ssl_ca is a MySQL option; for PostgreSQL set storage.sslmode and "
            "storage.sslrootcert"
        )
    options = dict(storage.options)
    read_only = options.pop("read_only", False)
    if options:
        raise ConfigError(f"unknown postgresql storage options: {', '.join(sorted(options))}")
    if not isinstance(read_only, bool):
        raise ConfigError(f"storage.options.read_only must be true or false, got {read_only!r}")
    tls = {"sslmode": storage.sslmode, "sslrootcert": _root_cert(storage.sslrootcert)}
    return PostgresqlStore(
        url_from_config(storage),
        pool_size=storage.pool_size,
        connect_timeout_s=storage.connect_timeout_s,
        pre_ping=storage.pre_ping,
        connect_args={name: value for name, value in tls.items() if value is not None},
        read_only=read_only,
        timezone=config.timezone,
    )
