"""``write_batch`` keeps its connection between batches, and gives it back to the pool after
a failure, after a pause and when the store closes; batch errors name the failing write."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import event as sa_event

from immersion.errors import StoreIntegrityError
from immersion.stores.sql import write_connection
from immersion.stores.sqlite import SqliteStore
from tests.contract.builders import T0, event, open_session, write


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "immersion.sqlite")
    opened.create_or_upgrade_schema()
    open_session(opened, "s1")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def checkouts(store: SqliteStore) -> list[int]:
    """One item per connection checked out of the store's pool from now on (the store keeps
    the one of ``open_session``'s batch)."""
    taken: list[int] = []
    sa_event.listen(store.engine, "checkout", lambda *_: taken.append(1))
    return taken


def test_batches_in_a_row_share_one_connection(store: SqliteStore, checkouts: list[int]) -> None:
    for seq in range(1, 6):
        write(store, event("s1", seq, T0 + seq))
    assert checkouts == []
    assert [e.seq for e in store.session_events("s1")] == [1, 2, 3, 4, 5]


def test_a_failed_batch_gives_its_connection_back(store: SqliteStore, checkouts: list[int]) -> None:
    write(store, event("s1", 1, T0))
    # refused by the value checks, before any connection is used
    with pytest.raises(StoreIntegrityError, match=r"write 1 \(RecordEvent\) of the batch"):
        write(store, event("s1", 2, T0), event("s1", 3, -1))
    assert checkouts == []
    # refused inside the transaction: the next batch starts on a new connection
    with pytest.raises(StoreIntegrityError, match="write 1 of the batch names an unknown"):
        write(store, event("s1", 4, T0), event("no-such-session", 1, T0))
    write(store, event("s1", 5, T0))
    assert len(checkouts) == 1
    assert [e.seq for e in store.session_events("s1")] == [1, 5]


def test_a_pause_gives_the_connection_back(
    store: SqliteStore, checkouts: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # from the real clock on: the fixture's batch marked the connection idle by it (a fixed
    # start failed on a machine up for less than that long)
    now = [time.monotonic()]
    monkeypatch.setattr(write_connection, "time", SimpleNamespace(monotonic=lambda: now[0]))
    write(store, event("s1", 1, T0))
    now[0] += write_connection.IDLE_S - 0.1
    write(store, event("s1", 2, T0))
    assert checkouts == []
    now[0] += write_connection.IDLE_S
    write(store, event("s1", 3, T0))
    assert len(checkouts) == 1


def test_closing_the_store_gives_the_connection_back(store: SqliteStore) -> None:
    write(store, event("s1", 1, T0))
    assert store.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    store.close()
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
