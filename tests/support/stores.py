"""Build each kind of store for the shared contract suite.

Every backend plugs in here; the contract tests only see the ``store`` fixture. The server
kinds skip (locally, without their environment variable) or fail (in CI, when the server is
unreachable) exactly as ``tests.support.servers`` documents."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from immersion.store import ImmersionTrackingStore
from tests.support.servers import scratch_database

STORE_KINDS = ["memory", "sqlite", "postgresql", "mysql"]


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
        elif kind == "postgresql":
            from immersion.stores.postgresql import PostgresqlStore

            store = PostgresqlStore(cleanup.enter_context(scratch_database(kind)), pool_size=2)
        elif kind == "mysql":
            from immersion.stores.mysql import MysqlStore

            store = MysqlStore(cleanup.enter_context(scratch_database(kind)), pool_size=2)
        else:  # pragma: no cover - a typo in a parametrization
            raise ValueError(f"unknown store kind {kind!r}")
        cleanup.callback(store.close)  # closed before its database is dropped
        store.create_or_upgrade_schema()
        yield store
