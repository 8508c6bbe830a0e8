"""flush() honours its timeout while another connection holds the SQLite write lock."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from immersion.stores.sqlite import SqliteStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory


def test_flush_timeout_is_honoured_while_sqlite_is_locked(
    make_tracker: TrackerFactory, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "locked.sqlite"
    store = SqliteStore(path)  # busy timeout 2500 ms: each locked attempt blocks that long
    store.create_or_upgrade_schema()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    assert tracker.flush(5) is True

    locker = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        for _ in range(3):
            tracker.record_lookup(True)
        started = time.monotonic()
        assert tracker.flush(0.3) is False
        elapsed = time.monotonic() - started
        assert 0.25 <= elapsed < 1.5  # well before the 2.5 s busy timeout ends
    finally:
        locker.execute("COMMIT")
        locker.close()

    assert tracker.wait_until_idle(10)  # the attempt in progress ended (stored or failed)
    clock.advance(100)  # past a first backoff, if the attempt failed
    assert tracker.flush(10) is True
    (summary,) = store.session_summaries()
    assert summary.lookup_count == 3
