"""Values at the edges: any script, SQL metacharacters, big integers, unknowns, far times."""

from __future__ import annotations

import datetime as dt

import pytest

from immersion.domain import EventType, SessionCounters, VideoMetadata
from immersion.store import ImmersionTrackingStore

from .builders import EP1, T0, event, finalize, make_video, sample, start, write

FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z

TITLES = [
    "進撃の巨人 第1話「二千年後の君へ」",
    "Frieren 🧝‍♀️✨ — Folge 3",
    "한국어 드라마 1화",
    "مرحبا",
    "tab\tnew\nline \\ back'slash\"",
]


@pytest.mark.parametrize("title", TITLES, ids=["cjk", "emoji", "hangul", "rtl", "controls"])
def test_titles_in_any_script_round_trip(store: ImmersionTrackingStore, title: str) -> None:
    key = f"local:/動画/{title}.mkv"
    write(store, make_video(key, title), start("セッション-1", key))
    got = store.get_video(key)
    assert got is not None
    assert got.title == title
    assert store.session_summaries()[0].title == title
    assert store.session_summaries()[0].session_uuid == "セッション-1"
    assert store.video_stats(key)[0].title == title


SQL_NASTY = "'; DROP TABLE videos; --"


def test_sql_metacharacters_are_stored_verbatim(store: ImmersionTrackingStore) -> None:
    key = f"local:/{SQL_NASTY}.mkv"
    uuid = f'{SQL_NASTY}" OR 1=1 --'
    payload = '{"text": "\\"); DELETE FROM sessions; --"}'
    write(
        store,
        make_video(EP1, "innocent"),
        make_video(key, SQL_NASTY),
        start(uuid, key),
        event(uuid, 1, T0, EventType.SUBTITLE_LINE, payload_json=payload),
    )
    assert store.get_video(key) is not None
    assert store.get_video(EP1) is not None
    assert store.session_events(uuid)[0].payload_json == payload
    assert store.overview().total_videos == 2


def test_like_wildcards_match_only_themselves(store: ImmersionTrackingStore) -> None:
    write(store, make_video("local:/a_b%.mkv", "wild"), start("s_%", "local:/a_b%.mkv"))
    assert store.get_video("local:/aXbY.mkv") is None
    assert store.get_video("local:/a_b%.mkv") is not None
    assert store.get_session("sX") is None
    assert store.video_stats("local:/a%") == []


def test_keys_at_their_maximum_length_round_trip(store: ImmersionTrackingStore) -> None:
    key = "remote:https://例え.example/" + "字" * (768 - 26)
    uuid = "f" * 36
    assert len(key) == 768
    write(store, make_video(key), start(uuid, key))
    assert store.get_video(key) is not None
    assert store.session_summaries()[0].video_key == key
    assert store.get_session(uuid) is not None


def test_long_strings_round_trip(store: ImmersionTrackingStore) -> None:
    title = "長い" * 20_000
    write(store, make_video(EP1, title))
    got = store.get_video(EP1)
    assert got is not None
    assert got.title == title


def test_integers_up_to_2_pow_53_round_trip_and_sum(store: ImmersionTrackingStore) -> None:
    big = 2**53
    write(
        store,
        make_video(EP1, duration_ms=big, metadata=VideoMetadata(file_size_bytes=big)),
        start("a", EP1),
        start("b", EP1, T0 + 1),
        sample("a", big, T0, words_seen=big, total_watched_ms=big - 1),
        finalize("b", T0 + 2, words_seen=big, total_watched_ms=big + 1),
    )
    got = store.get_session("a")
    assert got is not None
    assert (got.counters.words_seen, got.counters.total_watched_ms) == (big, big - 1)
    assert store.session_timeline("a")[0].seq == big
    overview = store.overview()
    assert (overview.words_seen, overview.total_watched_ms) == (2 * big, 2 * big)
    video = store.get_video(EP1)
    assert video is not None
    assert (video.duration_ms, video.metadata.file_size_bytes) == (big, big)


def test_the_largest_stored_integer_round_trips(store: ImmersionTrackingStore) -> None:
    top = 2**63 - 1
    write(store, make_video(EP1), start("a", EP1), finalize("a", T0, pause_ms=top))
    got = store.get_session("a")
    assert got is not None
    assert got.counters == SessionCounters(pause_ms=top)


def test_unknown_metadata_stays_unknown(store: ImmersionTrackingStore) -> None:
    write(store, make_video(EP1, duration_ms=None))
    got = store.get_video(EP1)
    assert got is not None
    assert got.metadata == VideoMetadata()
    assert (got.duration_ms, got.source_path, got.source_url) == (None, None, None)
    assert store.video_stats()[0].duration_ms is None


def test_boundary_times_zero_and_year_2100(store: ImmersionTrackingStore) -> None:
    write(
        store,
        make_video(EP1, at_ms=0),
        start("epoch", EP1, 0),
        sample("epoch", 0, 0),
        event("epoch", 0, 0),
        finalize("epoch", FAR_FUTURE_MS, ended_media_ms=0, last_sample_ms=0),
        start("future", EP1, FAR_FUTURE_MS),
        sample("future", 1, FAR_FUTURE_MS, lines_seen=1),
    )
    epoch = store.get_session("epoch")
    future = store.get_session("future")
    assert epoch is not None and future is not None
    assert (epoch.started_at_ms, epoch.ended_at_ms, epoch.ended_media_ms) == (0, FAR_FUTURE_MS, 0)
    assert (epoch.local_day, epoch.local_month, epoch.local_hour) == (
        dt.date(1970, 1, 1),
        197001,
        0,
    )
    assert (future.local_day, future.local_month) == (dt.date(2100, 1, 1), 210001)
    assert store.session_timeline("epoch")[0].sample_ms == 0
    assert store.session_events("epoch")[0].ts_ms == 0
    video = store.get_video(EP1)
    assert video is not None and video.created_at_ms == 0
    overview = store.overview()
    assert (overview.first_started_ms, overview.last_started_ms) == (0, FAR_FUTURE_MS)
    assert store.video_stats()[0].last_watched_ms == FAR_FUTURE_MS
    assert [s.session_uuid for s in store.session_summaries()] == ["future", "epoch"]
