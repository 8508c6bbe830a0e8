"""Duration updates and the 85% watched rule."""

from __future__ import annotations

from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory


def test_watched_at_85_percent(make_tracker: TrackerFactory, clock: ManualClock) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_media_duration(1_000.0)
    tracker.record_playback_position(849.999)
    assert tracker.session is not None and not tracker.session.watched
    clock.advance(1)
    tracker.record_playback_position(850.0)
    assert tracker.session is not None and tracker.session.watched
    clock.advance(1_000)
    tracker.record_playback_position(10)  # seeking back does not un-watch
    assert tracker.session.watched
    tracker.flush(5)
    video = store.get_video("local:/anime/ep01.mkv")
    assert video is not None and video.duration_ms == 1_000_000


def test_a_duration_learned_late_still_marks_watched(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(95)
    tracker.record_media_duration(100)
    assert tracker.session is not None and tracker.session.watched


def test_duration_writes_only_on_change(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    before = tracker.diagnostics().enqueued
    tracker.record_media_duration(1_440)
    tracker.record_media_duration(1_440)
    tracker.record_media_duration(0)  # unknown (live stream): ignored
    assert tracker.diagnostics().enqueued == before + 1
    assert tracker.diagnostics().bad_input == 0


def test_end_position_is_kept(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(600.25)
    tracker.handle_media_change(None)
    tracker.flush(5)
    (summary,) = store.session_summaries()
    assert summary.ended_media_ms == 600_250
