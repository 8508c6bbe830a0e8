"""Compaction on SQLite: ``VACUUM`` (a rewrite of the whole file) only when the free pages
are worth it (``compaction.worth_rebuilding``); the planner statistics are refreshed always."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from immersion.stores.sql import compaction, schema
from immersion.stores.sqlite import SqliteStore
from tests.contract.builders import T0, open_session

PAYLOAD = "x" * 1000
ROWS = 3_000  # about 3 MB of events, deleted again


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "compact.sqlite")
    opened.create_or_upgrade_schema()
    open_session(opened, "s1")
    with opened.engine.begin() as connection:
        session_id = connection.scalar(sa.select(schema.sessions.c.id))
        connection.execute(
            sa.insert(schema.events),
            [
                {"session_id": session_id, "seq": seq, "ts_ms": T0 + seq, "event_type": 1}
                | {"payload_json": PAYLOAD}
                for seq in range(ROWS)
            ],
        )
    with opened.engine.begin() as connection:
        connection.execute(sa.delete(schema.events))
    try:
        yield opened
    finally:
        opened.close()


def _pages(store: SqliteStore) -> tuple[int, int]:
    """(free pages, all pages) of the file."""
    with sqlite3.connect(store.path) as connection:
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    return int(free), int(pages)


def test_free_pages_below_the_rule_stay_for_new_rows(store: SqliteStore) -> None:
    before = _pages(store)
    assert before[0] > before[1] // 2  # most of the file is free, but only a few MB
    store.compact()
    assert _pages(store) == before  # no rewrite: SQLite reuses these pages for new rows


def test_free_pages_worth_it_are_given_back(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compaction, "REBUILD_MIN_FREE_BYTES", 1024)
    free, pages = _pages(store)
    store.compact()
    assert _pages(store) == (0, pages - free)
