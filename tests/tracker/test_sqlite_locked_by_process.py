"""Another process holds the SQLite write lock for longer than the busy timeout.

Recording goes on without exceptions and without blocking; once the lock is released, every
write the overflow policy did not drop is stored, the drops are counted, and the session's
counters are exact because its finalize carries them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from immersion.stores.sqlite import SqliteStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys
    connection = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    connection.execute("COMMIT")
    connection.close()
    print("released", flush=True)
    """
)
LINES = 400


def test_recording_survives_a_lock_held_by_another_process(
    make_tracker: TrackerFactory, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "shared.sqlite"
    store = SqliteStore(path)
    store.create_or_upgrade_schema()
    tracker = make_tracker(store, write={"queue_cap": 100})
    tracker.handle_media_change("/anime/ep01.mkv", "Episode 1")
    tracker.record_media_duration(1_440)
    assert tracker.flush(5)

    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdin is not None
        assert locker.stdout.readline().strip() == "locked"

        slowest = 0.0
        for index in range(LINES):
            started = time.perf_counter()
            tracker.record_playback_position(index * 0.5)
            tracker.record_subtitle_line(f"line {index} です", index * 0.5, index * 0.5 + 0.4)
            if index % 50 == 0:
                tracker.record_cards_mined(1, [index])
            slowest = max(slowest, time.perf_counter() - started)
            clock.advance(500)
        # The worker is stuck on the lock (2.5 s busy timeout), then backs off: wait for it.
        assert tracker.wait_until_idle(15)
        during = tracker.diagnostics()
        assert during.retries >= 1
        assert during.dropped > 0
        assert slowest < 0.1  # never waited for the database

        locker.stdin.write("release\n")
        locker.stdin.flush()
        assert locker.stdout.readline().strip() == "released"
        assert locker.wait(10) == 0
    finally:
        if locker.poll() is None:
            locker.kill()
            locker.wait(10)
        for stream in (locker.stdin, locker.stdout):
            if stream is not None:
                stream.close()

    clock.advance(10_000)  # past any backoff
    assert tracker.wait_until_idle(10)
    uuid = "session-0001"
    tracker.close(10)

    after = tracker.diagnostics()
    assert after.dead_lettered == 0
    assert after.written + after.dropped == after.enqueued
    assert set(after.dropped_by) == {"queue_full"}
    assert set(after.dropped_by_kind) <= {"RecordEvent", "RecordSample"}

    reopened = SqliteStore(path)
    try:
        (summary,) = reopened.session_summaries()
        assert summary.ended_at_ms is not None
        assert summary.lines_seen == LINES
        assert summary.words_seen == 3 * LINES
        assert summary.cards_mined == LINES // 50
        assert summary.total_watched_ms == (LINES - 1) * 500
        stored_events = reopened.session_events(uuid, limit=100_000)
        dropped_events = after.dropped_by_kind.get("RecordEvent", 0)
        recorded_events = LINES + LINES // 50
        assert len(stored_events) == recorded_events - dropped_events
        seqs = [event.seq for event in stored_events]
        assert seqs == sorted(seqs)
    finally:
        reopened.close()
