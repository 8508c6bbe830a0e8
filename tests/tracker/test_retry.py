"""Transient failures are retried with capped exponential backoff, keeping order."""

from __future__ import annotations

import itertools
import logging

import pytest

from immersion.testing import ManualClock
from immersion.writes import RecordEvent
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import ScriptedStore, event_seqs


def test_a_failing_batch_is_retried_after_a_doubling_backoff(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = ScriptedStore(attempt_clock=clock.monotonic_s)
    store.transient_failures = 3
    tracker = make_tracker(store, write={"batch_size": 25})
    tracker.handle_media_change("/anime/ep01.mkv")
    for _ in range(23):
        tracker.record_lookup(True)
    assert tracker.wait_until_idle(5)
    assert len(store.attempts) == 1  # failed at t=0; next try at 50 ms

    for wait_ms, attempts in ((49, 1), (1, 2), (99, 2), (1, 3), (199, 3), (1, 4)):
        clock.advance(wait_ms)
        assert tracker.wait_until_idle(5)
        assert len(store.attempts) == attempts
    assert [when for when, _ in store.attempts] == [0.0, 0.05, 0.15, 0.35]
    assert len(store.batches) == 1
    diagnostics = tracker.diagnostics()
    assert (diagnostics.retries, diagnostics.flush_failures, diagnostics.written) == (3, 3, 25)
    assert "database is locked" in (diagnostics.last_error or "")


def test_backoff_is_capped_at_5_seconds(make_tracker: TrackerFactory, clock: ManualClock) -> None:
    store = ScriptedStore(attempt_clock=clock.monotonic_s)
    store.transient_failures = 10
    tracker = make_tracker(store, write={"batch_size": 1})
    tracker.handle_media_change("/anime/ep01.mkv")
    while store.transient_failures:
        assert tracker.wait_until_idle(5)
        clock.advance(10)
    assert tracker.wait_until_idle(5)
    clock.advance(5_000)
    assert tracker.flush(5)
    times = [when for when, _ in store.attempts if when is not None]
    gaps = [round(later - earlier, 3) for earlier, later in itertools.pairwise(times)]
    assert max(gaps) <= 5.01
    assert gaps[:7] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2]


def test_order_is_kept_and_new_writes_queue_while_retrying(
    make_tracker: TrackerFactory, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore()
    store.transient_failures = 5
    tracker = make_tracker(store, write={"batch_size": 5})
    with caplog.at_level(logging.WARNING, logger="immersion"):
        tracker.handle_media_change("/anime/ep01.mkv")
        for _ in range(40):
            tracker.record_lookup(True)
            clock.advance(20)
        for _ in range(10):  # let the backoff run out
            assert tracker.wait_until_idle(5)
            clock.advance(1_000)
        assert tracker.close(5) is True
    stored = [w.event.seq for w in store.stored_writes() if isinstance(w, RecordEvent)]
    assert stored == list(range(1, 41))
    assert event_seqs(store, "session-0001") == list(range(1, 41))
    # Five identical failures: logged once, then summarised.
    messages = [r.getMessage() for r in caplog.records if "will retry" in r.getMessage()]
    assert len(messages) == 2
    assert messages[1].endswith("(repeated 4 times)")
