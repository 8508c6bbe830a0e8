"""``MysqlStore``: the SQL store on a MySQL or MariaDB server, through mysqlclient
(``mysql+mysqldb``, C) or PyMySQL (``mysql+pymysql``, pure Python): see ``mysql_drivers``.

Everything but connection handling lives in ``immersion.stores.sql``; this module supplies:

- the engines: for writes a ``QueuePool`` of ``pool_size`` connections (as many again in
  overflow), and one as large for reads, in autocommit (see ``SqlStore``);
  ``pre_ping``, the driver's ``connect_timeout``, TLS through ``ssl_ca``, connections recycled
  before the server's idle timeout drops them, ``utf8mb4`` on the wire, a strict
  ``sql_mode`` (an out-of-range or too long value is an error, never silently cut), and
  READ COMMITTED isolation (the same as PostgreSQL; REPEATABLE READ's gap locks would make
  concurrent writers deadlock far more often);
- upserts as ``INSERT ... ON DUPLICATE KEY UPDATE``; "insert or ignore" assigns a conflict
  column to itself (``INSERT IGNORE`` would also turn real errors into warnings);
- schema locking with ``GET_LOCK``: MySQL commits every DDL statement on its own, so a lock
  that lasts only for a transaction could not cover a migration; the named lock belongs to
  the connection and is released after the migration (or by the server when the connection
  dies);
- ``_compact``: ``ANALYZE TABLE`` on every table (fresh statistics; 25 ms at 1M events),
  and ``OPTIMIZE TABLE`` (InnoDB copies the whole table) only on the tables whose free space
  is worth giving back (``worth_rebuilding``);
- no file backup before a schema upgrade: the upgrade logs ``mysqldump`` advice instead.

Strings: tables are ``utf8mb4`` (emoji and all of CJK); key columns use the binary NO PAD
collation of the server (``utf8mb4_nopad_bin`` on MariaDB, ``utf8mb4_0900_bin`` on MySQL 8),
chosen when the tables are created (see ``schema.key_string``), so ``"a"`` and ``"a "`` are
different keys and keys sort by code point, as everywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Table, bindparam, create_engine, text
from sqlalchemy.dialects import mysql as mysql_dialect
from sqlalchemy.sql.dml import Insert

from ..config import StorageConfig, TrackerConfig
from ..errors import ConfigError, TransientStoreError
from ..results import StoreCapabilities
from .mysql_drivers import DRIVERS, connect_arguments, default_driver, driver_url, require_driver
from .sql import schema
from .sql.base import READ_ENGINE_OPTIONS, SqlStore
from .sql.compaction import worth_rebuilding
from .sql.hooks import UpdateBuilder

__all__ = [
    "DEFAULT_PORT",
    "DRIVERS",
    "MysqlStore",
    "from_config",
    "url_from_config",
]

DEFAULT_PORT = 3306
# How long a schema change waits for another process's before giving up (transiently).
SCHEMA_LOCK_TIMEOUT_S = 60
# Strict: bad values fail instead of being truncated or zeroed. No ANSI_QUOTES: SQLAlchemy
# quotes with backticks.
SQL_MODE = "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE"
# Below MySQL's and MariaDB's default wait_timeout (8 h).
POOL_RECYCLE_S = 3600
# connection.info flag: this connection holds the schema lock
_HOLDS_SCHEMA_LOCK = "immersion_schema_lock"
# Named locks are server-wide; the database name makes the lock per database (hashed: a
# lock name has at most 64 characters).
_LOCK_NAME = "CONCAT('immersion-schema:', LEFT(SHA2(DATABASE(), 256), 40))"
# Sizes after ANALYZE TABLE: it refreshes data_length and index_length (and, on MySQL 8,
# information_schema's cached values); data_free is the free space of the table's own
# tablespace file (innodb_file_per_table, the default).
_TABLE_SPACE = text(
    "SELECT table_name, data_length + index_length, data_free FROM information_schema.TABLES "
    "WHERE table_schema = DATABASE() AND table_name IN :names"
).bindparams(bindparam("names", expanding=True))

_CAPABILITIES = StoreCapabilities(
    rollups=True,
    retention=True,
    compaction=True,
    durable=True,
    concurrent_writers=True,
    networked=True,
)

log = logging.getLogger("immersion.stores.mysql")


class MysqlStore(SqlStore):
    """The store in one MySQL/MariaDB database. Nothing connects before the first call."""

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int = 5,
        connect_timeout_s: float = 5.0,
        pre_ping: bool = True,
        ssl_ca: str | None = None,
        connect_args: Mapping[str, Any] | None = None,
        read_only: bool = False,
        timezone: str | None = None,
    ) -> None:
        """``url``: ``mysql://user:password@host:port/database`` (or ``mariadb://``); the
        driver is ``+mysqldb`` (mysqlclient) or ``+pymysql`` (PyMySQL) when the URL names
        it, else mysqlclient when installed, else PyMySQL; ``ssl_ca``: TLS required, the
        server's certificate and host name verified against this CA file; ``connect_args``
        go to the driver's ``connect`` as given (they differ between the drivers);
        ``timezone``: the IANA zone the analytics reads take ``today`` in (``None``: the
        system's)."""
        target = driver_url(url)
        require_driver(target.drivername)
        arguments = connect_arguments(
            target.drivername, sql_mode=SQL_MODE, connect_timeout_s=connect_timeout_s, ssl_ca=ssl_ca
        )
        arguments.update(connect_args or {})
        options: dict[str, Any] = {
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_pre_ping": pre_ping,
            "pool_recycle": POOL_RECYCLE_S,
            "hide_parameters": True,
            "connect_args": arguments,
        }
        engine = create_engine(target, isolation_level="READ COMMITTED", **options)
        # Reads get a pool of their own in autocommit (see ``SqlStore``): no ROLLBACK round
        # trip when a connection goes back to the pool.
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
        first = conflict_columns[0]
        return mysql_dialect.insert(table).on_duplicate_key_update({first: table.c[first]})

    def upsert(
        self, table: Table, conflict_columns: Sequence[str], updates: UpdateBuilder
    ) -> Insert:
        # MySQL finds the conflict through any unique key; our upserted tables have one.
        statement = mysql_dialect.insert(table)
        return statement.on_duplicate_key_update(dict(updates(statement.inserted)))

    @contextmanager
    def _schema_transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            try:
                with connection.begin():
                    yield connection
            finally:
                if connection.info.pop(_HOLDS_SCHEMA_LOCK, False):
                    _release_schema_lock(connection)

    def begin_schema(self) -> Any:
        return self._schema_transaction()

    def lock_schema(self, connection: Connection) -> None:
        got = connection.scalar(
            text(f"SELECT GET_LOCK({_LOCK_NAME}, :timeout)"), {"timeout": SCHEMA_LOCK_TIMEOUT_S}
        )
        if got != 1:
            raise TransientStoreError(
                f"create_or_upgrade_schema on {self.database}: another process has been "
                f"changing the schema for {SCHEMA_LOCK_TIMEOUT_S} s; try again later"
            )
        connection.info[_HOLDS_SCHEMA_LOCK] = True

    def _compact(self) -> None:
        """``ANALYZE TABLE`` every table, then ``OPTIMIZE TABLE`` the ones
        ``worth_rebuilding`` by their sizes after the analysis."""
        tables = {table.name: table for table in schema.metadata.sorted_tables}
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(f"ANALYZE TABLE {self._listed(tables.values())}").fetchall()
            sizes = connection.execute(_TABLE_SPACE, {"names": list(tables)}).all()
            rebuild = [
                tables[name] for name, used, free in sizes if worth_rebuilding(int(used), int(free))
            ]
            if rebuild:
                connection.exec_driver_sql(f"OPTIMIZE TABLE {self._listed(rebuild)}").fetchall()

    def _listed(self, tables: Iterable[Table]) -> str:
        preparer = self.engine.dialect.identifier_preparer
        return ", ".join(preparer.format_table(table) for table in tables)

    def storage_size_bytes(self) -> int | None:
        """Data and index length of the current database (InnoDB's estimate, refreshed by
        ``ANALYZE TABLE`` and compaction)."""
        with self._reading("storage_size_bytes") as connection:
            total = connection.execute(
                text(
                    "SELECT COALESCE(SUM(data_length + index_length), 0) "
                    "FROM information_schema.TABLES WHERE table_schema = DATABASE()"
                )
            ).scalar_one()
        return int(total)

    def backup_before_upgrade(self, from_revision: str) -> str | None:
        log.warning(
            "upgrading the schema of %s from revision %s; immersion-tracker makes no backup of "
            "a server database: back it up first (mysqldump --single-transaction "
            "--routines <database> > immersion.sql) and restore it with mysql < immersion.sql "
            "if the upgrade must be undone",
            self.database,
            from_revision,
        )
        return None


def _release_schema_lock(connection: Connection) -> None:
    try:
        connection.execute(text(f"SELECT RELEASE_LOCK({_LOCK_NAME})"))
        connection.commit()
    except Exception:  # e.g. the connection was lost: never mask what went wrong before
        # The server releases a named lock when its session ends: end it.
        connection.invalidate()


def url_from_config(storage: StorageConfig) -> URL:
    """The server URL from ``storage.url`` and/or the separate fields (a field set overrides
    the same part of the URL), its driver spelled out (``mysql_drivers.driver_url``)."""
    if storage.url is not None:
        url = driver_url(storage.url.get_secret_value())
    elif storage.host is not None:
        url = URL.create(default_driver())
    else:
        raise ConfigError('storage provider "mysql" needs storage.url or storage.host')
    parts: dict[str, Any] = {
        "host": storage.host,
        "port": storage.port,
        "username": storage.user,
        "password": storage.password.get_secret_value() if storage.password else None,
        "database": storage.database,
    }
    url = url.set(**{name: value for name, value in parts.items() if value is not None})
    if not url.host:
        raise ConfigError('storage provider "mysql" needs a host (storage.host or the URL)')
    if not url.database:
        raise ConfigError('storage provider "mysql" needs a database (storage.database or the URL)')
    return url


def _ca_file(value: str) -> str:
    """``ssl_ca`` checked up front: PyMySQL would fail on a missing file with a bare
    ``FileNotFoundError`` at the first connection, mysqlclient with a TLS error."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"storage.ssl_ca: no such file {path}")
    return str(path)


def from_config(config: TrackerConfig) -> MysqlStore:
    """The provider factory (``storage.provider = "mysql"``, for MySQL and MariaDB).

    Connection: ``storage.url`` or ``host``/``port``/``user``/``password``/``database`` (the
    driver: see ``MysqlStore``); TLS: ``ssl_ca``; ``pool_size``, ``connect_timeout_s``,
    ``pre_ping``; ``storage.options`` may set ``read_only``.
    """
    storage = config.storage
    if storage.sslmode is not None or storage.sslrootcert is not None:
        raise ConfigError(
            "storage.sslmode and storage.sslrootcert are PostgreSQL options; "
            "for MySQL/MariaDB set storage.ssl_ca"
        )
    options = dict(storage.options)
    read_only = options.pop("read_only", False)
    if options:
        raise ConfigError(f"unknown mysql storage options: {', '.join(sorted(options))}")
    if not isinstance(read_only, bool):
        raise ConfigError(f"storage.options.read_only must be true or false, got {read_only!r}")
    return MysqlStore(
        url_from_config(storage),
        pool_size=storage.pool_size,
        connect_timeout_s=storage.connect_timeout_s,
        pre_ping=storage.pre_ping,
        ssl_ca=_ca_file(storage.ssl_ca) if storage.ssl_ca is not None else None,
        read_only=read_only,
        timezone=config.timezone,
    )
