"""A permanently failing write is isolated and dead-lettered; its neighbours are stored."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from immersion.domain import EventType, SourceType, TrackedEvent, Video
from immersion.pipeline import WritePipeline
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from immersion.writes import RecordEvent, StartSession, UpdateVideoTitle, UpsertVideo, Write
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import NO_AUTO_FLUSH, ScriptedStore, event_seqs


def _event(session: str, seq: int) -> RecordEvent:
    return RecordEvent(TrackedEvent(session, seq, 1_000 + seq, EventType.LOOKUP, payload_json="{}"))


def test_an_event_for_an_unknown_session_is_dead_lettered(clock: ManualClock) -> None:
    store = MemoryStore()
    pipeline = WritePipeline(store, clock, batch_size=25)
    video = Video("local:/v.mkv", "v", SourceType.LOCAL, source_path="/v.mkv")
    writes: list[Write] = [
        UpsertVideo(video),
        StartSession("s1", video.video_key, 1_000, dt.date(2026, 1, 1), 202601, 0),
    ]
    writes += [_event("s1", seq) for seq in range(1, 11)]
    poisoned = _event("no-such-session", 1)
    writes.append(poisoned)
    writes += [_event("s1", seq) for seq in range(11, 21)]
    for write in writes:
        pipeline.submit(write, 0)

    assert pipeline.flush(5) is False  # one write was not stored
    assert event_seqs(store, "s1") == list(range(1, 21))
    diagnostics = pipeline.diagnostics()
    assert diagnostics.dead_lettered == 1
    assert diagnostics.written == len(writes) - 1
    assert diagnostics.flush_failures >= 1
    assert diagnostics.last_error is not None
    (letter,) = pipeline.dead_letters()
    assert letter.write == poisoned
    assert "StoreIntegrityError" in letter.error
    assert pipeline.close(5) is True  # nothing lost since the flush that reported it


def test_several_bad_writes_in_one_batch_are_each_isolated(clock: ManualClock) -> None:
    store = ScriptedStore()
    store.poison = lambda write: isinstance(write, RecordEvent) and write.event.seq % 7 == 0
    pipeline = WritePipeline(store, clock, batch_size=25)
    video = Video("local:/v.mkv", "v", SourceType.LOCAL)
    pipeline.submit(UpsertVideo(video), 0)
    pipeline.submit(StartSession("s1", video.video_key, 0, dt.date(2026, 1, 1), 202601, 0), 0)
    for seq in range(1, 50):
        pipeline.submit(_event("s1", seq), 0)
    pipeline.flush(5)
    assert event_seqs(store, "s1") == [seq for seq in range(1, 50) if seq % 7]
    assert pipeline.diagnostics().dead_lettered == 7
    assert [letter.write for letter in pipeline.dead_letters()] == [
        _event("s1", seq) for seq in range(7, 50, 7)
    ]
    pipeline.close(5)


def test_a_poisoned_title_does_not_block_the_session(
    make_tracker: TrackerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScriptedStore()
    store.poison = lambda write: isinstance(write, UpdateVideoTitle) and "poison" in write.title
    tracker = make_tracker(store, write=NO_AUTO_FLUSH)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_lookup(True)
    with caplog.at_level(logging.ERROR, logger="immersion"):
        tracker.handle_media_title_update("poison")
        tracker.record_lookup(False)
        tracker.handle_media_title_update("Episode 1")
        assert tracker.close(5) is False
    (summary,) = store.session_summaries()
    assert (summary.title, summary.lookup_count, summary.ended_at_ms is not None) == (
        "Episode 1",
        2,
        True,
    )
    assert tracker.diagnostics().dead_lettered == 1
    assert sum("dead-lettered a UpdateVideoTitle" in r.getMessage() for r in caplog.records) == 1
