"""time-pos ticks: watched and active time, the 60 s guard, seeks, pauses."""

from __future__ import annotations

import json

import pytest

from immersion import Tracker
from immersion.domain import EventType, SessionCounters
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory


def _counters(tracker: Tracker) -> SessionCounters:
    session = tracker.session
    assert session is not None
    return session.counters


def test_playing_time_is_active_time(make_tracker: TrackerFactory, clock: ManualClock) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    for second in range(11):
        tracker.record_playback_position(second)
        clock.advance(1_000)
    counters = _counters(tracker)
    assert (counters.total_watched_ms, counters.active_watched_ms) == (10_000, 10_000)


def test_an_interval_touched_by_a_pause_is_not_active(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(0)
    clock.advance(1_000)
    tracker.record_playback_position(1)  # 1 s active
    clock.advance(200)
    tracker.record_pause_state(True)  # a short pause between two ticks
    clock.advance(300)
    tracker.record_pause_state(False)
    clock.advance(500)
    tracker.record_playback_position(1.5)  # 1 s interval, 0.3 s of it paused: not active
    clock.advance(1_000)
    tracker.record_playback_position(2.5)  # 1 s active again
    counters = _counters(tracker)
    assert counters.total_watched_ms == 3_000
    assert counters.active_watched_ms == 2_000
    assert (counters.pause_count, counters.pause_ms) == (1, 300)
    assert counters.seek_forward_count == counters.seek_backward_count == 0


def test_ticks_while_paused_are_not_active(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(0)
    tracker.record_pause_state(True)
    for _ in range(3):
        clock.advance(1_000)
        tracker.record_playback_position(0)
    tracker.record_pause_state(False)
    clock.advance(1_000)
    tracker.record_playback_position(1)  # the pause ended at the start of this interval
    clock.advance(1_000)
    tracker.record_playback_position(2)
    counters = _counters(tracker)
    assert counters.total_watched_ms == 5_000
    assert counters.active_watched_ms == 1_000
    assert counters.pause_ms == 3_000


@pytest.mark.parametrize(("gap_ms", "counted"), [(59_999, 59_999), (60_000, 0), (3_600_000, 0)])
def test_the_60_second_guard(
    make_tracker: TrackerFactory, clock: ManualClock, gap_ms: int, counted: int
) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(100)
    clock.advance(gap_ms)  # e.g. the machine slept
    tracker.record_playback_position(100 + gap_ms / 1000)
    counters = _counters(tracker)
    assert counters.total_watched_ms == counters.active_watched_ms == counted
    assert counters.seek_forward_count == counters.seek_backward_count == 0


@pytest.mark.parametrize(
    ("media_after_s", "forward", "backward"),
    [
        (10.999, 0, 0),  # 1 s of play plus 999 ms: no seek
        (11.0, 1, 0),  # 1 s of play plus 1000 ms: a forward seek
        (9.001, 0, 0),  # lagging 999 ms behind the wall clock: no seek
        (8.999, 0, 1),  # 1001 ms behind, and the position went back: a backward seek
        (30.0, 1, 0),
    ],
)
def test_seek_threshold(
    make_tracker: TrackerFactory,
    clock: ManualClock,
    media_after_s: float,
    forward: int,
    backward: int,
) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(9.0)
    clock.advance(1_000)
    tracker.record_playback_position(media_after_s)
    counters = _counters(tracker)
    assert (counters.seek_forward_count, counters.seek_backward_count) == (forward, backward)
    tracker.flush(5)
    seeks = store.session_events(
        "session-0001", event_types=[EventType.SEEK_FORWARD, EventType.SEEK_BACKWARD]
    )
    assert len(seeks) == forward + backward
    for seek in seeks:
        to_ms = round(media_after_s * 1000)
        assert (seek.segment_start_ms, seek.segment_end_ms) == (9_000, to_ms)
        assert json.loads(seek.payload_json or "") == {"fromMs": 9_000, "toMs": to_ms}


def test_a_seek_while_paused_is_measured_against_a_still_position(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(50)
    tracker.record_pause_state(True)
    clock.advance(10_000)
    tracker.record_playback_position(50.5)  # frame step while paused: no seek
    clock.advance(10_000)
    tracker.record_playback_position(40)  # seek back while paused
    counters = _counters(tracker)
    assert (counters.seek_forward_count, counters.seek_backward_count) == (0, 1)


def test_a_buffering_stall_is_not_a_backward_seek(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("https://stream.example/ep01.m3u8")
    tracker.record_playback_position(10)
    clock.advance(5_000)
    tracker.record_playback_position(10.2)  # the media lagged the wall clock
    tracker.record_media_buffer_event()
    counters = _counters(tracker)
    assert counters.seek_backward_count == 0
    assert counters.media_buffer_events == 1


def test_pause_events_and_counters(make_tracker: TrackerFactory, clock: ManualClock) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_pause_state(False)  # already playing: nothing
    tracker.record_pause_state(True)
    clock.advance(4_000)
    tracker.record_pause_state(True)  # repeated: nothing
    tracker.record_pause_state(False)
    tracker.record_pause_state(True)
    clock.advance(1_000)
    tracker.close(5)  # ends the pause in progress
    (summary,) = store.session_summaries()
    assert (summary.pause_count, summary.pause_ms) == (2, 5_000)
    events = store.session_events("session-0001")
    assert [(e.event_type, json.loads(e.payload_json or "")) for e in events] == [
        (EventType.PAUSE_START, {"paused": True}),
        (EventType.PAUSE_END, {"paused": False}),
        (EventType.PAUSE_START, {"paused": True}),
    ]


def test_a_file_opened_while_paused_starts_paused(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_pause_state(True)
    clock.advance(1_000)
    tracker.handle_media_change("/anime/ep02.mkv")  # mpv keeps `pause` across files
    clock.advance(2_000)
    tracker.record_pause_state(False)
    session = tracker.session
    assert session is not None and not session.paused
    assert (session.counters.pause_count, session.counters.pause_ms) == (1, 2_000)
