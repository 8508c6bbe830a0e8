"""The analytics reads: shapes, ordering, tie-breaking, limits and filters."""

from __future__ import annotations

from immersion.domain import EventType, SessionCounters, TrackedEvent
from immersion.results import SessionSummary, VideoStats
from immersion.store import ImmersionTrackingStore
from immersion.writes import Write

from .builders import (
    EP1,
    EP2,
    HOUR,
    MINUTE,
    STREAM,
    T0,
    event,
    finalize,
    make_video,
    open_session,
    sample,
    start,
    uuids,
    write,
)

# ----------------------------------------------------------------- session summaries


def test_summaries_are_newest_start_first_with_ties_by_uuid(store: ImmersionTrackingStore) -> None:
    write(
        store,
        make_video(EP1),
        start("m", EP1, T0),
        start("b", EP1, T0 + HOUR),
        start("a", EP1, T0 + HOUR),
        start("z", EP1, T0 - HOUR),
        start("c", EP1, T0 + HOUR),
    )
    assert uuids(store.session_summaries()) == ["a", "b", "c", "m", "z"]


def test_summaries_honour_the_limit(store: ImmersionTrackingStore) -> None:
    write(store, make_video(EP1), *[start(f"s{i:02d}", EP1, T0 + i) for i in range(55)])
    assert len(store.session_summaries()) == 50  # the default
    assert uuids(store.session_summaries(limit=3)) == ["s54", "s53", "s52"]
    assert store.session_summaries(limit=0) == []
    assert len(store.session_summaries(limit=1000)) == 55


def test_summaries_of_one_video(store: ImmersionTrackingStore) -> None:
    write(
        store,
        make_video(EP1),
        make_video(EP2),
        start("e1-old", EP1, T0),
        start("e2-a", EP2, T0 + HOUR),
        start("e1-b", EP1, T0 + 2 * HOUR),
        start("e1-a", EP1, T0 + 2 * HOUR),  # a tie: by UUID
        start("e2-b", EP2, T0 + 3 * HOUR),
    )
    assert uuids(store.session_summaries(video_key=EP1)) == ["e1-a", "e1-b", "e1-old"]
    assert uuids(store.session_summaries(limit=2, video_key=EP1)) == ["e1-a", "e1-b"]
    assert uuids(store.session_summaries(limit=1, video_key=EP2)) == ["e2-b"]
    assert store.session_summaries(video_key=STREAM) == []  # no sessions
    assert store.session_summaries(video_key="local:/nowhere") == []  # no such video
    assert store.session_summaries(limit=0, video_key=EP1) == []
    assert {s.video_key for s in store.session_summaries(video_key=EP2)} == {EP2}


def test_an_active_summary_carries_its_latest_sample(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1", EP1, T0)
    write(
        store,
        sample("s1", 1, T0 + MINUTE, total_watched_ms=60_000, lines_seen=2),
        sample("s1", 2, T0 + 2 * MINUTE, total_watched_ms=120_000, lines_seen=5),
    )
    expected = SessionSummary(
        session_uuid="s1",
        video_key=EP1,
        title="ep01.mkv",
        started_at_ms=T0,
        ended_at_ms=None,
        total_watched_ms=120_000,
        active_watched_ms=0,
        lines_seen=5,
        words_seen=0,
        tokens_seen=0,
        cards_mined=0,
        lookup_count=0,
        lookup_hits=0,
        dictionary_lookups=0,
        pause_count=0,
        pause_ms=0,
        seek_forward_count=0,
        seek_backward_count=0,
        media_buffer_events=0,
        ended_media_ms=None,
    )
    [summary] = store.session_summaries()
    assert summary == expected
    assert summary.active


def test_an_ended_summary_carries_the_final_counters(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1", EP1, T0)
    final = {name: i + 1 for i, name in enumerate(SessionCounters.names())}
    write(store, sample("s1", 1, T0 + 1, lines_seen=999))
    write(store, finalize("s1", T0 + HOUR, ended_media_ms=1_400_000, **final))
    [summary] = store.session_summaries()
    assert (summary.ended_at_ms, summary.ended_media_ms) == (T0 + HOUR, 1_400_000)
    assert {name: getattr(summary, name) for name in final} == final
    assert not summary.active


# ----------------------------------------------------------------- timeline


def test_timeline_is_newest_first_by_time_then_seq(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(
        store,
        sample("s1", 1, T0 + 10),
        sample("s1", 3, T0 + 20),
        sample("s1", 2, T0 + 20),
        sample("s1", 4, T0 + 5),  # a clock step back: time orders first
    )
    assert [s.seq for s in store.session_timeline("s1")] == [3, 2, 1, 4]


def test_timeline_limit_and_other_sessions(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, start("s2", EP1, T0 + 1))
    write(store, *[sample("s1", i, T0 + i * MINUTE, lines_seen=i) for i in range(1, 6)])
    write(store, sample("s2", 1, T0 + HOUR))
    timeline = store.session_timeline("s1", limit=2)
    assert [(s.seq, s.sample_ms, s.counters.lines_seen) for s in timeline] == [
        (5, T0 + 5 * MINUTE, 5),
        (4, T0 + 4 * MINUTE, 4),
    ]
    assert all(s.session_uuid == "s1" for s in timeline)
    assert len(store.session_timeline("s1")) == 5
    assert store.session_timeline("s1", limit=0) == []
    assert store.session_timeline("unknown") == []


# ----------------------------------------------------------------- events


def test_events_round_trip_every_field(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    line = TrackedEvent(
        session_uuid="s1",
        seq=1,
        ts_ms=T0 + 5,
        event_type=EventType.SUBTITLE_LINE,
        line_index=12,
        segment_start_ms=61_000,
        segment_end_ms=63_500,
        words_delta=3,
        cards_delta=0,
        payload_json='{"text": "今日はいい天気", "words": 3}',
    )
    write(
        store,
        event(
            "s1",
            1,
            T0 + 5,
            EventType.SUBTITLE_LINE,
            line_index=12,
            segment_start_ms=61_000,
            segment_end_ms=63_500,
            words_delta=3,
            payload_json='{"text": "今日はいい天気", "words": 3}',
        ),
    )
    [got] = store.session_events("s1")
    assert got == line
    assert got.event_type is EventType.SUBTITLE_LINE


def test_events_are_oldest_first_by_time_then_seq(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(
        store,
        event("s1", 3, T0 + 20),
        event("s1", 1, T0 + 10),
        event("s1", 4, T0 + 5),
        event("s1", 2, T0 + 20),
    )
    assert [e.seq for e in store.session_events("s1")] == [4, 1, 2, 3]


def test_events_limit_filter_and_unknown_session(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    kinds = [EventType.SUBTITLE_LINE, EventType.LOOKUP, EventType.CARD_MINED] * 4
    write(store, *[event("s1", i, T0 + i, kind) for i, kind in enumerate(kinds)])
    assert len(store.session_events("s1")) == 12
    assert [e.seq for e in store.session_events("s1", limit=2)] == [0, 1]
    cards = store.session_events("s1", event_types=[EventType.CARD_MINED])
    assert [e.seq for e in cards] == [2, 5, 8, 11]
    # The filter applies before the limit.
    both = store.session_events("s1", limit=3, event_types={EventType.LOOKUP, EventType.CARD_MINED})
    assert [e.seq for e in both] == [1, 2, 4]
    assert store.session_events("s1", event_types=[]) == []
    assert store.session_events("s1", limit=0) == []
    assert store.session_events("unknown") == []


def test_events_default_limit_is_500(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, *[event("s1", i, T0 + i) for i in range(501)])
    events = store.session_events("s1")
    assert len(events) == 500
    assert events[-1].seq == 499


# ----------------------------------------------------------------- video stats


def _three_videos(store: ImmersionTrackingStore) -> None:
    writes: list[Write] = [
        make_video(EP1, "Episode 1", duration_ms=1_440_000),
        make_video(EP2, "Episode 2"),
        make_video(STREAM, "Stream"),
        start("a", EP1, T0),
        finalize(
            "a",
            T0 + HOUR,
            total_watched_ms=3_600_000,
            active_watched_ms=3_000_000,
            lines_seen=100,
            words_seen=400,
            tokens_seen=500,
            cards_mined=3,
        ),
        start("b", EP1, T0 + 2 * HOUR),
        sample(
            "b",
            1,
            T0 + 3 * HOUR,
            total_watched_ms=60_000,
            active_watched_ms=50_000,
            lines_seen=10,
            words_seen=40,
            tokens_seen=50,
            cards_mined=1,
        ),
        start("c", EP2, T0 + 30 * MINUTE),  # active, no sample yet
    ]
    store.write_batch(writes)


def test_video_stats_sum_final_and_live_counters(store: ImmersionTrackingStore) -> None:
    _three_videos(store)
    assert store.video_stats(EP1) == [
        VideoStats(
            video_key=EP1,
            title="Episode 1",
            duration_ms=1_440_000,
            sessions=2,
            total_watched_ms=3_660_000,
            active_watched_ms=3_050_000,
            lines_seen=110,
            words_seen=440,
            tokens_seen=550,
            cards_mined=4,
            last_watched_ms=T0 + 3 * HOUR,  # the active session's last sample
            active_days=1,  # the ended session's day
            first_watched_ms=T0,
        )
    ]


def test_video_stats_order_and_last_watched(store: ImmersionTrackingStore) -> None:
    _three_videos(store)
    stats = store.video_stats()
    assert [(s.video_key, s.sessions, s.last_watched_ms) for s in stats] == [
        (EP1, 2, T0 + 3 * HOUR),
        (EP2, 1, T0 + 30 * MINUTE),  # active without samples: its start
        (STREAM, 0, None),  # never watched: last
    ]


def test_video_stats_ties_by_key_and_ended_at(store: ImmersionTrackingStore) -> None:
    keys = ["local:/b.mkv", "local:/a.mkv", "local:/c.mkv", "local:/d.mkv"]
    write(
        store,
        *[make_video(key) for key in keys],
        start("1", keys[0], T0),
        finalize("1", T0 + HOUR),
        start("2", keys[1], T0 + 30 * MINUTE),
        sample("2", 1, T0 + HOUR),
        start("3", keys[2], T0 + 2 * HOUR),
    )
    assert [s.video_key for s in store.video_stats()] == [
        "local:/c.mkv",
        "local:/a.mkv",
        "local:/b.mkv",
        "local:/d.mkv",
    ]


def test_video_stats_for_one_key(store: ImmersionTrackingStore) -> None:
    _three_videos(store)
    [never] = store.video_stats(STREAM)
    assert (never.sessions, never.lines_seen, never.last_watched_ms) == (0, 0, None)
    assert store.video_stats("local:/unknown.mkv") == []


# ----------------------------------------------------------------- overview


def test_overview_totals_over_every_session_and_video(store: ImmersionTrackingStore) -> None:
    _three_videos(store)
    overview = store.overview()
    assert (overview.total_sessions, overview.active_sessions, overview.total_videos) == (3, 2, 3)
    assert (overview.total_watched_ms, overview.active_watched_ms) == (3_660_000, 3_050_000)
    assert (overview.lines_seen, overview.words_seen, overview.tokens_seen) == (110, 440, 550)
    assert overview.cards_mined == 4
    assert (overview.first_started_ms, overview.last_started_ms) == (T0, T0 + 2 * HOUR)


def test_overview_never_sums_samples(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, *[sample("s1", i, T0 + i, cards_mined=i) for i in range(1, 11)])
    assert store.overview().cards_mined == 10
    assert store.video_stats()[0].cards_mined == 10
