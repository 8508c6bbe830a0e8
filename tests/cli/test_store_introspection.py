"""``schema_status`` and ``storage_size_bytes``, which ``immersion doctor`` relies on, on
every backend (the ``store`` fixture of ``tests/conftest.py``)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from immersion.store import ImmersionTrackingStore
from immersion.stores.sql import migrate
from immersion.stores.sqlite import SqliteStore


def test_schema_status_is_at_the_head_after_creation(store: ImmersionTrackingStore) -> None:
    created = store.create_or_upgrade_schema()
    status = store.schema_status()
    assert status.current_revision == status.head_revision == created.head_revision
    assert status.upgraded_from is None and status.backup_path is None


def test_storage_size_is_known_for_databases(store: ImmersionTrackingStore) -> None:
    size = store.storage_size_bytes()
    if store.capabilities.durable:
        assert isinstance(size, int) and size > 0
    else:
        assert size is None


def test_schema_status_of_an_empty_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "empty.sqlite")
    try:
        status = store.schema_status()
    finally:
        store.close()
    assert status.current_revision is None
    assert status.head_revision == migrate.head_revision()
    with closing(sqlite3.connect(tmp_path / "empty.sqlite")) as check:
        assert check.execute("SELECT COUNT(*) FROM sqlite_master").fetchone() == (0,)


def test_schema_status_never_upgrades(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "old.sqlite")
    try:
        with store.engine.begin() as connection:
            migrate.upgrade(connection, "0001")
        status = store.schema_status()
        assert (status.current_revision, status.head_revision) == ("0001", "0004")
        assert store.schema_status().current_revision == "0001"
    finally:
        store.close()


def test_sqlite_size_counts_pages_and_the_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "size.sqlite"
    store = SqliteStore(path)
    try:
        store.create_or_upgrade_schema()
        size = store.storage_size_bytes()
        wal = Path(f"{path}-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        with closing(sqlite3.connect(path)) as check:
            pages = check.execute("PRAGMA page_count").fetchone()[0]
            page_size = check.execute("PRAGMA page_size").fetchone()[0]
        assert size == pages * page_size + wal_bytes
    finally:
        store.close()
