"""A batch is written when 25 writes wait, or 500 ms after the oldest pending write."""

from __future__ import annotations

import threading

from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import ScriptedStore


def test_batch_by_size_fires_at_25_writes_and_not_before(make_tracker: TrackerFactory) -> None:
    store = ScriptedStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")  # 2 writes: video upsert, session start
    for _ in range(22):
        tracker.record_lookup(True)
    assert tracker.wait_until_idle(5)
    assert store.batches == []
    assert tracker.diagnostics().queue_depth == 24

    tracker.record_lookup(False)  # the 25th write
    assert tracker.wait_until_idle(5)
    assert [len(batch) for batch in store.batches] == [25]
    diagnostics = tracker.diagnostics()
    assert (diagnostics.queue_depth, diagnostics.written, diagnostics.batches_written) == (0, 25, 1)


def test_batches_are_at_most_batch_size(make_tracker: TrackerFactory) -> None:
    store = ScriptedStore()
    store.gate = threading.Event()  # hold the worker while 60 writes pile up
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    for _ in range(58):
        tracker.record_dictionary_lookup()
    store.gate.set()
    assert tracker.wait_until_idle(5)
    # The first batch was taken when 25 were waiting; the rest go in full batches, and the
    # last 10 wait for their time.
    assert [len(batch) for batch in store.batches] == [25, 25]
    assert tracker.diagnostics().queue_depth == 10


def test_batch_by_time_fires_500_ms_after_the_oldest_write_not_at_499(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = ScriptedStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")  # oldest pending write at t=0
    clock.advance(300)
    tracker.record_lookup(True)  # t=300: does not restart the timer

    clock.advance(199)  # t=499
    assert tracker.wait_until_idle(5)
    assert store.batches == []

    clock.advance(1)  # t=500
    assert tracker.wait_until_idle(5)
    assert [len(batch) for batch in store.batches] == [3]


def test_the_timer_restarts_from_the_oldest_write_still_pending(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = ScriptedStore()
    tracker = make_tracker(store, write={"flush_interval_ms": 1_000})
    tracker.handle_media_change("/anime/ep01.mkv")
    clock.advance(1_000)
    assert tracker.wait_until_idle(5)
    assert len(store.batches) == 1

    clock.advance(250)
    tracker.record_lookup(True)  # new oldest write at t=1250
    clock.advance(999)
    assert tracker.wait_until_idle(5)
    assert len(store.batches) == 1
    clock.advance(1)
    assert tracker.wait_until_idle(5)
    assert len(store.batches) == 2


def test_an_empty_queue_writes_nothing_however_long_the_wait(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = ScriptedStore()
    tracker = make_tracker(store)
    for _ in range(5):
        clock.advance(10_000)
        assert tracker.wait_until_idle(5)
    assert store.attempts == []
