"""The bounded queue drops by policy, counts every drop, and never drops session boundaries."""

from __future__ import annotations

from immersion.domain import SessionStatus
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import NO_AUTO_FLUSH, event_seqs

CAP = 100  # the smallest accepted queue cap


def test_drop_oldest_drops_the_oldest_events_and_counts_them(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store, write={**NO_AUTO_FLUSH, "queue_cap": CAP})
    tracker.handle_media_change("/anime/ep01.mkv")  # 2 boundaries
    for _ in range(150):  # events seq 1..150
        tracker.record_lookup(True)

    diagnostics = tracker.diagnostics()
    assert diagnostics.queue_depth == CAP
    assert diagnostics.dropped == 52
    assert diagnostics.dropped_by == {"queue_full": 52}
    assert diagnostics.dropped_by_kind == {"RecordEvent": 52}

    assert tracker.close(5) is False  # something recorded was not stored
    # Closing adds a last sample (seq 151, dropping event 53) and the finalize (a boundary).
    diagnostics = tracker.diagnostics()
    assert diagnostics.dropped_by_kind == {"RecordEvent": 53}
    assert event_seqs(store, "session-0001") == list(range(54, 151))
    (summary,) = store.session_summaries()
    assert summary.lookup_count == 150  # exact: the finalize carries the counters
    assert summary.ended_at_ms is not None


def test_drop_newest_refuses_incoming_writes_and_counts_them(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(
        store, write={**NO_AUTO_FLUSH, "queue_cap": CAP, "overflow": "drop_newest"}
    )
    tracker.handle_media_change("/anime/ep01.mkv")
    for _ in range(150):
        tracker.record_lookup(False)
    assert tracker.diagnostics().dropped_by_kind == {"RecordEvent": 52}

    assert tracker.close(5) is False
    diagnostics = tracker.diagnostics()
    assert diagnostics.dropped == 53
    assert diagnostics.dropped_by == {"queue_full": 53}
    assert diagnostics.dropped_by_kind == {"RecordEvent": 52, "RecordSample": 1}
    assert event_seqs(store, "session-0001") == list(range(1, 99))
    (summary,) = store.session_summaries()
    assert (summary.lookup_count, summary.lookup_hits) == (150, 0)
    assert diagnostics.written + diagnostics.dropped == diagnostics.enqueued


def test_session_boundaries_survive_overflow(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = MemoryStore()
    tracker = make_tracker(store, write={**NO_AUTO_FLUSH, "queue_cap": CAP})
    for episode in range(1, 6):
        tracker.handle_media_change(f"/anime/ep{episode:02d}.mkv")
        for _ in range(80):
            tracker.record_subtitle_line(f"line {clock.now_ms()}", 1.0, 2.0)
            clock.advance(10)
    assert tracker.diagnostics().dropped > 0
    tracker.close(5)

    summaries = store.session_summaries()
    assert len(summaries) == 5
    assert all(s.ended_at_ms is not None for s in summaries)
    assert [s.lines_seen for s in summaries] == [80] * 5
    assert {s.video_key for s in summaries} == {f"local:/anime/ep{e:02d}.mkv" for e in range(1, 6)}
    assert {v.video_key for v in store.video_stats()} == {s.video_key for s in summaries}
    for summary in summaries:
        session = store.get_session(summary.session_uuid)
        assert session is not None and session.status == SessionStatus.ENDED
    kinds = tracker.diagnostics().dropped_by_kind
    assert set(kinds) <= {"RecordEvent", "RecordSample"}


def test_boundaries_are_accepted_past_the_cap(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store, write={**NO_AUTO_FLUSH, "queue_cap": CAP})
    # Each change queues a last sample of the previous session and three boundaries
    # (finalize, video upsert, session start): past the cap only the samples are dropped.
    for episode in range(60):
        tracker.handle_media_change(f"/anime/ep{episode:02d}.mkv")
    diagnostics = tracker.diagnostics()
    assert diagnostics.queue_depth > CAP
    assert set(diagnostics.dropped_by_kind) == {"RecordSample"}
    assert tracker.flush(5) is False  # samples were dropped
    summaries = store.session_summaries(limit=100)
    assert len(summaries) == 60
    assert sum(s.ended_at_ms is not None for s in summaries) == 59
