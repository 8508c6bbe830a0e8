"""Session lifecycle: media changes, titles, samples and the shared sequence."""

from __future__ import annotations

import threading
import uuid as uuid_module

from immersion import Tracker
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from immersion.writes import RecordSample
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import ScriptedStore


def test_media_changes_start_and_end_sessions(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.record_lookup(True)  # no session: a no-op
    assert tracker.diagnostics().enqueued == 0
    tracker.handle_media_change("/anime/ep01.mkv")
    clock.advance(1_000)
    tracker.handle_media_change("/anime/ep01.mkv")  # same file again: same session
    tracker.handle_media_change("/anime/./ep01.mkv")  # same file, other spelling
    clock.advance(1_000)
    tracker.handle_media_change("/anime/ep02.mkv")
    clock.advance(1_000)
    tracker.handle_media_change("")  # path cleared
    tracker.record_lookup(True)
    tracker.flush(5)
    summaries = store.session_summaries()
    assert [(s.session_uuid, s.video_key, s.ended_at_ms) for s in summaries] == [
        ("session-0002", "local:/anime/ep02.mkv", clock.now_ms()),
        ("session-0001", "local:/anime/ep01.mkv", clock.now_ms() - 1_000),
    ]
    assert sum(s.lookup_count for s in summaries) == 0


def test_default_session_ids_are_uuid4(clock: ManualClock) -> None:
    with Tracker(MemoryStore(), {"timezone": "UTC"}, clock=clock) as tracker:
        tracker.handle_media_change("/a.mkv")
        session = tracker.session
        assert session is not None
        assert uuid_module.UUID(session.session_uuid).version == 4


def test_titles(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/[Group] Show - 01 (1080p).mkv")
    tracker.flush(5)
    assert store.video_stats()[0].title == "[Group] Show - 01 (1080p)"
    tracker.handle_media_title_update("Show — Episode 1")
    tracker.handle_media_title_update("Show — Episode 1")  # unchanged: no write
    tracker.handle_media_title_update("   ")  # empty: ignored
    tracker.handle_media_change("/anime/[Group] Show - 01 (1080p).mkv", "Given title")
    tracker.flush(5)
    assert store.video_stats()[0].title == "Given title"
    assert tracker.diagnostics().enqueued == 2 + 2  # video and session, 2 title updates


def test_samples_every_interval_when_changed_and_at_finalize(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = ScriptedStore()
    tracker = make_tracker(store, write={"sample_interval_ms": 5_000})
    tracker.handle_media_change("/anime/ep01.mkv")
    for second in range(21):
        tracker.record_playback_position(second)
        clock.advance(1_000)
    clock.advance(60_000)  # nothing changes: no samples
    tracker.record_playback_position(100)  # after the 60 s guard: no time counted either
    tracker.record_lookup(True)
    tracker.close(5)
    samples = [w.sample for w in store.stored_writes() if isinstance(w, RecordSample)]
    assert [s.counters.total_watched_ms for s in samples] == [5_000, 10_000, 15_000, 20_000, 20_000]
    assert samples[-1].counters.lookup_count == 1
    timeline = store.session_timeline("session-0001")
    assert [s.seq for s in timeline] == sorted((s.seq for s in samples), reverse=True)
    events = store.session_events("session-0001")
    seqs = sorted([s.seq for s in samples] + [e.seq for e in events])
    assert seqs == list(range(1, len(seqs) + 1))  # one counter shared by samples and events


def test_a_session_without_activity_still_gets_one_sample(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.close(5)
    assert len(store.session_timeline("session-0001")) == 1


def test_cards_lookups_and_other_events(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_lookup(True)
    tracker.record_lookup(False)
    tracker.record_dictionary_lookup()
    tracker.record_cards_mined()
    tracker.record_cards_mined(2, note_ids=[1700000000001, 1700000000002])
    tracker.record_media_buffer_event()
    tracker.close(5)
    (summary,) = store.session_summaries()
    assert (summary.lookup_count, summary.lookup_hits, summary.dictionary_lookups) == (2, 1, 1)
    assert (summary.cards_mined, summary.media_buffer_events) == (3, 1)
    events = store.session_events("session-0001")
    assert [(int(e.event_type), e.cards_delta, e.payload_json) for e in events] == [
        (3, 0, '{"hit":true}'),
        (3, 0, '{"hit":false}'),
        (9, 0, None),
        (4, 1, '{"cardsMined":1,"noteIds":[]}'),
        (4, 2, '{"cardsMined":2,"noteIds":[1700000000001,1700000000002]}'),
        (2, 0, '{"buffer":true}'),
    ]


def test_recording_from_several_threads_keeps_exact_counts(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store, write={"queue_cap": 10_000})  # room for every write
    tracker.handle_media_change("/anime/ep01.mkv")

    def record(worker: int) -> None:
        for index in range(500):
            tracker.record_lookup(index % 2 == 0)
            tracker.record_subtitle_line(f"worker {worker} line {index}", index, index + 1)

    threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tracker.close(10) is True
    (summary,) = store.session_summaries()
    assert (summary.lookup_count, summary.lookup_hits, summary.lines_seen) == (2_000, 1_000, 2_000)
    seqs = [event.seq for event in store.session_events("session-0001", limit=10_000)]
    assert sorted(seqs) == list(range(1, 4_001))
