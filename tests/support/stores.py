"""Build each kind of store for the shared contract suite.

Every backend plugs in here; the contract tests only see the ``store`` fixture. The server
kinds skip (locally, without their environment variable) or fail (in CI, when the server is
unreachable) exactly as ``tests.support.servers`` documents.

Server databases: every test gets its own scratch database (MySQL) or schema (PostgreSQL),
created by the real migrations and dropped after the test, as the issue asks. That costs 13
tables' worth of DDL per test (about 0.3 s on PostgreSQL, 0.8 s on MariaDB, which syncs every
DDL statement). For quick local runs, ``IMMERSION_TEST_SHARED_SCHEMA=1`` instead migrates one
scratch database per server for the whole run and empties all its tables before each test
(inside one transaction, about 10 ms), with a new store object per test so no cache,
connection or row crosses from one test to the next.

Third-party stores: ``IMMERSION_TEST_STORES`` adds kinds, comma-separated, each a provider
registered under the ``immersion.stores`` entry point group or a ``module:factory`` import
string; the factory receives a ``TrackerConfig`` whose ``storage.path`` is a fresh file in the
test's temporary directory (see docs/storage/backends.md).
"""

from __future__ import annotations

import atexit
import importlib
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from immersion.config import StorageConfig, TrackerConfig
from immersion.store import ImmersionTrackingStore
from immersion.stores.registry import StoreFactory, create_store
from immersion.stores.sql import schema
from tests.support.servers import SERVERS, scratch_database

__all__ = [
    "EXTRA_STORES_ENV",
    "SERVER_KINDS",
    "SHARED_SCHEMA_ENV",
    "STORE_KINDS",
    "open_store",
    "server_store",
]

# mysql: PyMySQL, mysql-mysqldb: mysqlclient, on the same server (see tests.support.servers)
SERVER_KINDS = list(SERVERS)
SHARED_SCHEMA_ENV = "IMMERSION_TEST_SHARED_SCHEMA"
EXTRA_STORES_ENV = "IMMERSION_TEST_STORES"
EXTRA_KINDS = [k.strip() for k in os.environ.get(EXTRA_STORES_ENV, "").split(",") if k.strip()]
STORE_KINDS = ["memory", "sqlite", *SERVER_KINDS, *EXTRA_KINDS]


def server_store(kind: str, url: str | sa.URL, **options: Any) -> Any:
    """A ``PostgresqlStore`` or ``MysqlStore`` on ``url`` (its schema not touched; the
    driver is the URL's)."""
    if kind == "postgresql":
        from immersion.stores.postgresql import PostgresqlStore

        return PostgresqlStore(url, **options)
    if SERVERS[kind].provider == "mysql":
        from immersion.stores.mysql import MysqlStore

        return MysqlStore(url, **options)
    raise ValueError(f"{kind!r} is not a server store kind")  # pragma: no cover


class _ReusedDatabase:
    """One migrated scratch database of a server, emptied before each test."""

    def __init__(self, kind: str) -> None:
        scratch: AbstractContextManager[sa.URL] = scratch_database(kind)
        self.url = scratch.__enter__()
        self._engine = sa.create_engine(self.url, pool_size=1)
        atexit.register(self._drop, scratch)
        store = server_store(kind, self.url, pool_size=1)
        try:
            store.create_or_upgrade_schema()
        finally:
            store.close()
        # whatever the migrations put into an empty database (nothing today) comes back
        # after every reset
        with self._engine.connect() as connection:
            self._baseline = {
                table: [dict(row._mapping) for row in connection.execute(sa.select(table))]
                for table in schema.metadata.sorted_tables
            }

    def reset(self) -> sa.URL:
        with self._engine.begin() as connection:
            for table in reversed(schema.metadata.sorted_tables):  # children first
                connection.execute(sa.delete(table))
            for table, rows in self._baseline.items():
                if rows:
                    connection.execute(sa.insert(table), rows)
        return self.url

    def _drop(self, scratch: AbstractContextManager[sa.URL]) -> None:
        self._engine.dispose()
        scratch.__exit__(None, None, None)


_reused: dict[str, _ReusedDatabase] = {}


def _database_for_one_test(kind: str, cleanup: ExitStack) -> sa.URL:
    if os.environ.get(SHARED_SCHEMA_ENV, "") in {"", "0"}:
        return cleanup.enter_context(scratch_database(kind))
    if kind not in _reused:
        _reused[kind] = _ReusedDatabase(kind)
    return _reused[kind].reset()


def _third_party_store(kind: str, tmp_path: Path) -> ImmersionTrackingStore:
    if ":" in kind:  # an import string: no installation needed
        module, _, name = kind.partition(":")
        factory: StoreFactory = getattr(importlib.import_module(module), name)
        return factory(TrackerConfig(storage=StorageConfig(path=tmp_path / "plugin.db")))
    storage = StorageConfig(provider=kind, path=tmp_path / "plugin.db")
    return create_store(TrackerConfig(storage=storage))


@contextmanager
def open_store(kind: str, tmp_path: Path) -> Iterator[ImmersionTrackingStore]:
    """A fresh, empty store of ``kind`` with its schema created; closed (and dropped) after."""
    with ExitStack() as cleanup:
        store: ImmersionTrackingStore
        if kind == "memory":
            from immersion.stores.memory import MemoryStore

            store = MemoryStore()
        elif kind == "sqlite":
            from immersion.stores.sqlite import SqliteStore

            store = SqliteStore(tmp_path / "contract.sqlite")
        elif kind in SERVER_KINDS:
            store = server_store(kind, _database_for_one_test(kind, cleanup), pool_size=2)
        elif kind in EXTRA_KINDS:
            store = _third_party_store(kind, tmp_path)
        else:  # pragma: no cover - a typo in a parametrization
            raise ValueError(f"unknown store kind {kind!r}")
        cleanup.callback(store.close)  # closed before its database is dropped
        store.create_or_upgrade_schema()
        yield store
