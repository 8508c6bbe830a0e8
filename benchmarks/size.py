"""Bytes on disk per event.

- SQLite: the database file after a ``wal_checkpoint(TRUNCATE)`` (the write-ahead log of the
  compaction would otherwise add up to ``journal_size_limit`` bytes), split per table (its
  indexes included) with the ``dbstat`` virtual table when the library has it.
- PostgreSQL: ``pg_total_relation_size`` (heap, indexes and TOAST) of every table of the
  store's schema.
- MariaDB/MySQL: ``data_length + index_length`` of every table of the store's database in
  ``information_schema.tables`` (InnoDB's estimate, refreshed by the maintenance pass's
  ``OPTIMIZE TABLE``).

Measured after the maintenance pass, so SQLite is freshly vacuumed and the servers' numbers are
after their compaction too.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from .backends import Backend

__all__ = ["measure_size"]

_POSTGRESQL = """
SELECT c.relname, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""
_MYSQL = """
SELECT table_name, data_length + index_length
FROM information_schema.tables WHERE table_schema = DATABASE()
"""


def measure_size(backend: Backend, events: int) -> dict[str, Any] | None:
    """``{"bytes", "bytes_per_event", "by_table"}``, or ``None`` for the memory store."""
    if backend.kind == "memory":
        return None
    if backend.kind == "sqlite":
        with closing(backend.raw_connection()) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        by_table = _sqlite_tables(backend)
        assert backend.path is not None
        files = [backend.path, backend.path.with_name(backend.path.name + "-wal")]
        total = sum(path.stat().st_size for path in files if path.exists())
    else:
        with closing(backend.raw_connection()) as connection:
            cursor = connection.cursor()
            cursor.execute(_POSTGRESQL if backend.kind == "postgresql" else _MYSQL)
            by_table = {str(name): int(size or 0) for name, size in cursor.fetchall()}
        total = sum(by_table.values())
    return {
        "bytes": total,
        "bytes_per_event": round(total / max(1, events), 1),
        "by_table": dict(sorted(by_table.items(), key=lambda item: -item[1])),
    }


def _sqlite_tables(backend: Backend) -> dict[str, int]:
    """Bytes per table, its indexes included (``{}`` without ``dbstat``)."""
    assert backend.path is not None
    with closing(sqlite3.connect(backend.path)) as connection:
        try:
            rows = connection.execute(
                "SELECT s.name, m.tbl_name, SUM(s.pgsize) FROM dbstat s "
                "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY s.name"
            ).fetchall()
        except sqlite3.OperationalError:  # built without SQLITE_ENABLE_DBSTAT_VTAB
            return {}
    by_table: dict[str, int] = {}
    for name, table, size in rows:
        owner = table or name  # sqlite_schema and friends have no row of their own
        by_table[owner] = by_table.get(owner, 0) + int(size)
    return by_table
