"""Session lifecycle: start, live counters from samples, finalize, late arrivals."""

from __future__ import annotations

import datetime as dt

import pytest

from immersion.domain import SessionCounters, SessionStatus
from immersion.errors import StoreIntegrityError
from immersion.store import ImmersionTrackingStore
from immersion.writes import Write

from .builders import (
    EP1,
    EP2,
    HOUR,
    MINUTE,
    T0,
    counters,
    event,
    finalize,
    make_video,
    open_session,
    sample,
    start,
    write,
)


def test_start_creates_an_active_session_with_zero_counters(
    store: ImmersionTrackingStore,
) -> None:
    open_session(store, "s1", EP1, T0 + 13 * HOUR)
    got = store.get_session("s1")
    assert got is not None
    assert got.video_key == EP1
    assert got.started_at_ms == T0 + 13 * HOUR
    assert (got.local_day, got.local_month, got.local_hour) == (dt.date(2026, 1, 1), 202601, 13)
    assert got.status is SessionStatus.ACTIVE
    assert (got.ended_at_ms, got.ended_media_ms, got.last_sample_ms) == (None, None, None)
    assert got.counters == SessionCounters()


def test_start_for_an_unknown_video_is_an_integrity_error(store: ImmersionTrackingStore) -> None:
    with pytest.raises(StoreIntegrityError):
        write(store, start("s1", "local:/missing.mkv"))
    assert store.get_session("s1") is None


def test_a_replayed_start_keeps_the_first(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1", EP1, T0)
    write(store, make_video(EP2), start("s1", EP2, T0 + HOUR))
    got = store.get_session("s1")
    assert got is not None
    assert (got.video_key, got.started_at_ms) == (EP1, T0)


def test_a_sample_becomes_the_live_state(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 1, T0 + MINUTE, total_watched_ms=60_000, lines_seen=4))
    got = store.get_session("s1")
    assert got is not None
    assert got.counters == counters(total_watched_ms=60_000, lines_seen=4)
    assert got.last_sample_ms == T0 + MINUTE
    assert got.status is SessionStatus.ACTIVE


def test_live_counters_are_the_latest_sample_never_a_sum(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(
        store,
        *[
            sample("s1", i, T0 + i * MINUTE, lines_seen=10 * i, words_seen=30 * i)
            for i in (1, 2, 3)
        ],
    )
    got = store.get_session("s1")
    assert got is not None
    assert got.counters == counters(lines_seen=30, words_seen=90)


def test_live_counters_follow_the_highest_seq(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 5, T0 + MINUTE, lines_seen=50))
    # An older sample arriving late (even with a later clock reading) does not win.
    write(store, sample("s1", 4, T0 + 2 * MINUTE, lines_seen=40))
    got = store.get_session("s1")
    assert got is not None
    assert (got.counters.lines_seen, got.last_sample_ms) == (50, T0 + MINUTE)
    assert len(store.session_timeline("s1")) == 2


def test_finalize_sets_the_final_state(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 1, T0 + MINUTE, lines_seen=3))
    final = dict(total_watched_ms=90_000, active_watched_ms=80_000, lines_seen=5, cards_mined=1)
    write(
        store,
        finalize("s1", T0 + 2 * MINUTE, ended_media_ms=95_000, last_sample_ms=T0 + 90_000, **final),
    )
    got = store.get_session("s1")
    assert got is not None
    assert got.status is SessionStatus.ENDED
    assert got.ended_at_ms == T0 + 2 * MINUTE
    assert got.ended_media_ms == 95_000
    assert got.last_sample_ms == T0 + 90_000
    assert got.counters == counters(**final)


def test_finalize_without_last_sample_keeps_the_live_one(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 1, T0 + MINUTE, lines_seen=3))
    write(store, finalize("s1", T0 + 2 * MINUTE, lines_seen=3))
    got = store.get_session("s1")
    assert got is not None
    assert (got.last_sample_ms, got.ended_media_ms) == (T0 + MINUTE, None)


def test_finalize_twice_gives_the_same_state(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    end = finalize("s1", T0 + HOUR, ended_media_ms=1, lines_seen=7)
    write(store, end)
    first = store.get_session("s1")
    write(store, end)
    assert store.get_session("s1") == first


def test_a_later_finalize_overwrites(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, finalize("s1", T0 + HOUR, lines_seen=7))
    write(store, finalize("s1", T0 + 2 * HOUR, lines_seen=9, ended_media_ms=3))
    got = store.get_session("s1")
    assert got is not None
    assert (got.ended_at_ms, got.counters.lines_seen, got.ended_media_ms) == (T0 + 2 * HOUR, 9, 3)


def test_a_sample_after_finalize_is_stored_but_changes_nothing(
    store: ImmersionTrackingStore,
) -> None:
    open_session(store, "s1")
    write(store, finalize("s1", T0 + HOUR, lines_seen=7))
    before = store.get_session("s1")
    write(store, sample("s1", 9, T0 + 2 * HOUR, lines_seen=99))
    assert store.get_session("s1") == before
    assert [s.seq for s in store.session_timeline("s1")] == [9]
    assert store.session_summaries()[0].lines_seen == 7


def test_an_event_after_finalize_is_stored(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, finalize("s1", T0 + HOUR))
    write(store, event("s1", 1, T0 + HOUR + 1))
    assert [e.seq for e in store.session_events("s1")] == [1]


@pytest.mark.parametrize(
    "orphan",
    [sample("ghost", 1, T0), event("ghost", 1, T0), finalize("ghost", T0)],
    ids=["sample", "event", "finalize"],
)
def test_writes_for_an_unknown_session_are_integrity_errors(
    store: ImmersionTrackingStore, orphan: Write
) -> None:
    open_session(store, "s1")
    with pytest.raises(StoreIntegrityError):
        write(store, orphan)
    assert store.get_session("ghost") is None
    assert store.session_timeline("ghost") == []
    assert store.session_events("ghost") == []
