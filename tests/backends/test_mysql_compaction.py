"""Compaction on MariaDB/MySQL: ``ANALYZE TABLE`` on every table, ``OPTIMIZE TABLE`` (a
rebuild) only on a table whose free space is worth it (``compaction.worth_rebuilding``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from immersion.stores.mysql import MysqlStore
from immersion.stores.sql import compaction, schema
from immersion.stores.sql.compaction import (
    REBUILD_MIN_FREE_BYTES,
    REBUILD_MIN_FREE_SHARE,
    worth_rebuilding,
)
from tests.contract.builders import T0, open_session
from tests.support.servers import scratch_database

MB = 2**20
# Rows of about 1 KiB: rolling them back frees well over REBUILD_MIN_FREE_BYTES.
BIG_ROWS = 30_000
PAYLOAD = "x" * 1000


def test_the_rule_needs_both_a_share_and_a_size() -> None:
    used = 400 * MB
    share = int(REBUILD_MIN_FREE_SHARE * used)
    assert share > REBUILD_MIN_FREE_BYTES  # the share decides for a table this large
    assert worth_rebuilding(used, share + 1)
    assert not worth_rebuilding(used, share)
    # a small table: the floor decides
    assert worth_rebuilding(1 * MB, REBUILD_MIN_FREE_BYTES)
    assert not worth_rebuilding(1 * MB, REBUILD_MIN_FREE_BYTES - 1)
    assert not worth_rebuilding(0, 0)


@pytest.fixture
def store() -> Iterator[MysqlStore]:
    with scratch_database("mysql") as url:
        opened = MysqlStore(url, pool_size=2)
        try:
            opened.create_or_upgrade_schema()
            yield opened
        finally:
            opened.close()


@contextmanager
def _sent(engine: sa.Engine) -> Iterator[list[str]]:
    """The statements sent through ``engine`` inside the block, whitespace collapsed."""
    seen: list[str] = []

    def record(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _starting(statements: list[str], verb: str) -> list[str]:
    return [s for s in statements if s.upper().startswith(verb)]


def _listed(statement: str) -> set[str]:
    return {name.strip(" `") for name in statement.split(" ", 2)[2].split(",")}


def _events_free_bytes(store: MysqlStore) -> int:
    with store.engine.connect() as connection:
        # MySQL 8 caches these sizes until ANALYZE TABLE; on MariaDB data_free is live.
        connection.exec_driver_sql("ANALYZE TABLE events").fetchall()
        free = connection.scalar(
            sa.text(
                "SELECT data_free FROM information_schema.TABLES "
                "WHERE table_schema = DATABASE() AND table_name = 'events'"
            )
        )
    return int(free)


def _free_events_space(store: MysqlStore) -> None:
    """Leave ~30 MB free in ``events``' tablespace: rows inserted and rolled back. A rollback
    frees their pages at once, where deleted rows wait for InnoDB's purge, which any old
    transaction on a shared server can hold up."""
    open_session(store, "s1")
    with store.engine.connect() as connection:
        session_id = connection.scalar(sa.select(schema.sessions.c.id))
        connection.execute(
            sa.insert(schema.events),
            [
                {
                    "session_id": session_id,
                    "seq": seq,
                    "ts_ms": T0 + seq,
                    "event_type": 1,
                    "payload_json": PAYLOAD,
                }
                for seq in range(BIG_ROWS)
            ],
        )
        connection.rollback()
    assert _events_free_bytes(store) >= REBUILD_MIN_FREE_BYTES + 4 * MB


def test_compaction_analyzes_every_table_and_rebuilds_none_without_free_space(
    store: MysqlStore,
) -> None:
    open_session(store, "s1")
    with _sent(store.engine) as statements:
        store.compact()
    (analyze,) = _starting(statements, "ANALYZE TABLE")
    assert _listed(analyze) == {table.name for table in schema.metadata.sorted_tables}
    assert _starting(statements, "OPTIMIZE TABLE") == []


def test_compaction_rebuilds_only_the_table_whose_free_space_is_worth_it(
    store: MysqlStore,
) -> None:
    _free_events_space(store)
    with _sent(store.engine) as statements:
        store.compact()
    (analyze,) = _starting(statements, "ANALYZE TABLE")
    assert _listed(analyze) == {table.name for table in schema.metadata.sorted_tables}
    (optimize,) = _starting(statements, "OPTIMIZE TABLE")
    assert _listed(optimize) == {"events"}
    # The rebuild gave the space back: the next compaction only analyzes.
    assert not worth_rebuilding(0, _events_free_bytes(store))
    with _sent(store.engine) as statements:
        store.compact()
    assert _starting(statements, "OPTIMIZE TABLE") == []


def test_free_space_below_the_rule_is_only_analyzed(
    store: MysqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same free space under a floor raised above it: analyzed, not rebuilt."""
    _free_events_space(store)
    monkeypatch.setattr(compaction, "REBUILD_MIN_FREE_BYTES", 1024 * MB)
    with _sent(store.engine) as statements:
        store.compact()
    assert _starting(statements, "OPTIMIZE TABLE") == []
    assert _events_free_bytes(store) >= REBUILD_MIN_FREE_BYTES  # nothing was rebuilt
