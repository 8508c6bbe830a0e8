"""flush() writes everything recorded before it, honours its timeout and reports losses."""

from __future__ import annotations

import threading
import time

from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import NO_AUTO_FLUSH, ScriptedStore


def test_flush_writes_pending_writes_and_the_live_counters(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = MemoryStore()
    tracker = make_tracker(store, write=NO_AUTO_FLUSH)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(0)
    clock.advance(2_000)
    tracker.record_playback_position(2)
    tracker.record_cards_mined(2, [11, 12])
    assert tracker.flush(5) is True
    (summary,) = store.session_summaries()
    assert summary.ended_at_ms is None
    assert (summary.total_watched_ms, summary.cards_mined) == (2_000, 2)


def test_flush_timeout_is_honoured_when_the_store_hangs(make_tracker: TrackerFactory) -> None:
    store = ScriptedStore()
    store.gate = threading.Event()
    tracker = make_tracker(store, write=NO_AUTO_FLUSH)
    tracker.handle_media_change("/anime/ep01.mkv")
    started = time.monotonic()
    assert tracker.flush(0.2) is False
    assert time.monotonic() - started < 2.0
    store.gate.set()
    assert tracker.flush(5) is True


def test_flush_reports_drops_once(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker(write={**NO_AUTO_FLUSH, "queue_cap": 100})
    tracker.handle_media_change("/anime/ep01.mkv")
    for _ in range(120):
        tracker.record_lookup(True)
    assert tracker.flush(5) is False  # 20 lookups were dropped
    tracker.record_lookup(True)
    assert tracker.flush(5) is True  # nothing lost since the last flush


def test_flush_with_nothing_pending_returns_at_once(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker()
    started = time.monotonic()
    assert tracker.flush(5) is True
    assert time.monotonic() - started < 1.0
