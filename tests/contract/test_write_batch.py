"""``write_batch``: atomic (all or nothing), idempotent (replays store nothing twice), ordered."""

from __future__ import annotations

import dataclasses

import pytest

from immersion.domain import EventType, SessionCounters, SessionStatus, VideoMetadata
from immersion.errors import StoreIntegrityError
from immersion.store import ImmersionTrackingStore
from immersion.writes import RecordEvent, UpdateVideoTitle, UpsertVideo, Write

from .builders import (
    EP1,
    EP2,
    MINUTE,
    T0,
    event,
    finalize,
    make_video,
    open_session,
    sample,
    start,
    write,
)


def test_a_batch_with_one_unknown_session_stores_nothing(store: ImmersionTrackingStore) -> None:
    batch: list[Write] = [
        make_video(EP1),
        start("s1", EP1),
        sample("s1", 1, T0 + 1, lines_seen=1),
        event("ghost", 1, T0 + 2),
        event("s1", 1, T0 + 3),
    ]
    with pytest.raises(StoreIntegrityError):
        store.write_batch(batch)
    assert store.get_video(EP1) is None
    assert store.get_session("s1") is None
    assert store.session_timeline("s1") == []
    assert store.overview().total_videos == 0


def test_a_failed_batch_leaves_existing_rows_untouched(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 1, T0 + MINUTE, lines_seen=1))
    before = (store.get_session("s1"), store.get_video(EP1))
    bad_last = sample("s1", 3, T0 + 3 * MINUTE, lines_seen=-1)
    with pytest.raises(StoreIntegrityError):
        write(
            store,
            UpdateVideoTitle(EP1, "changed", T0 + 5),
            sample("s1", 2, T0 + 2 * MINUTE, lines_seen=2),
            event("s1", 1, T0 + 2 * MINUTE),
            finalize("s1", T0 + 2 * MINUTE, lines_seen=2),
            bad_last,
        )
    assert (store.get_session("s1"), store.get_video(EP1)) == before
    assert [s.seq for s in store.session_timeline("s1")] == [1]
    assert store.session_events("s1") == []


def _invalid_writes() -> dict[str, Write]:
    good_video = make_video(EP2).video
    good_event = event("s1", 1, T0).event
    return {
        "negative counter": sample("s1", 1, T0, cards_mined=-1),
        "negative final counter": finalize("s1", T0, pause_ms=-5),
        "counter above 2**63-1": sample("s1", 1, T0, words_seen=2**63),
        "float counter": sample("s1", 1, T0, pause_ms=1.5),  # type: ignore[arg-type]
        "negative seq": sample("s1", -1, T0),
        "negative time": event("s1", 1, -1),
        "empty video key": make_video(""),
        "empty session uuid": start("", EP1),
        "negative duration": make_video(EP2, duration_ms=-1),
        "negative metadata": make_video(EP2, metadata=VideoMetadata(width_px=-1)),
        "unknown event type": event("s1", 1, T0, 42),  # type: ignore[arg-type]
        "unknown source type": UpsertVideo(dataclasses.replace(good_video, source_type=7)),  # type: ignore[arg-type]
        "negative words delta": RecordEvent(dataclasses.replace(good_event, words_delta=-3)),
        "local hour 24": dataclasses.replace(start("s2", EP1), local_hour=24),
        "local month 13": dataclasses.replace(start("s2", EP1), local_month=202613),
        "video key of 769 characters": make_video("local:/" + "k" * 762),
        "session uuid of 37 characters": start("u" * 37, EP1),
        "lone surrogate": make_video(EP2, "bad \udcff title"),
        "NUL character": make_video(EP2, "bad \x00 title"),
    }


@pytest.mark.parametrize("name", list(_invalid_writes()))
def test_invalid_values_are_integrity_errors_and_store_nothing(
    store: ImmersionTrackingStore, name: str
) -> None:
    open_session(store, "s1")
    before = store.get_session("s1")
    with pytest.raises(StoreIntegrityError):
        write(store, sample("s1", 7, T0 + 1, lines_seen=1), _invalid_writes()[name])
    assert store.get_session("s1") == before
    assert store.session_timeline("s1") == []
    assert store.get_video(EP2) is None
    assert store.get_session("s2") is None


def test_a_replayed_batch_stores_nothing_twice(store: ImmersionTrackingStore) -> None:
    batch: list[Write] = [
        make_video(EP1),
        start("s1", EP1),
        sample("s1", 1, T0 + MINUTE, lines_seen=1),
        event("s1", 1, T0 + MINUTE),
        sample("s1", 2, T0 + 2 * MINUTE, lines_seen=2),
        event("s1", 2, T0 + 2 * MINUTE, EventType.CARD_MINED, cards_delta=1),
        finalize("s1", T0 + 3 * MINUTE, lines_seen=2, cards_mined=1),
    ]
    store.write_batch(batch)
    reads = (store.session_summaries(), store.video_stats(), store.overview())
    store.write_batch(batch)
    assert (store.session_summaries(), store.video_stats(), store.overview()) == reads
    assert len(store.session_timeline("s1")) == 2
    assert len(store.session_events("s1")) == 2


def test_replaying_an_old_batch_after_newer_ones_changes_nothing(
    store: ImmersionTrackingStore,
) -> None:
    first: list[Write] = [make_video(EP1), start("s1", EP1), sample("s1", 1, T0 + 1, lines_seen=1)]
    store.write_batch(first)
    write(store, sample("s1", 2, T0 + 2, lines_seen=2))
    store.write_batch(first)
    got = store.get_session("s1")
    assert got is not None
    assert got.counters.lines_seen == 2
    assert len(store.session_timeline("s1")) == 2


def test_a_replayed_sample_keeps_the_first_version(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 1, T0 + 1, lines_seen=1))
    write(store, sample("s1", 1, T0 + 1, lines_seen=5))
    assert store.session_timeline("s1")[0].counters.lines_seen == 1
    got = store.get_session("s1")
    assert got is not None
    assert got.counters.lines_seen == 1


def test_start_sample_finalize_in_one_batch(store: ImmersionTrackingStore) -> None:
    write(
        store,
        make_video(EP1),
        start("s1", EP1),
        sample("s1", 1, T0 + MINUTE, lines_seen=4),
        event("s1", 1, T0 + MINUTE),
        finalize("s1", T0 + 2 * MINUTE, lines_seen=5),
        sample("s1", 2, T0 + 3 * MINUTE, lines_seen=6),
    )
    got = store.get_session("s1")
    assert got is not None
    assert got.status is SessionStatus.ENDED
    assert got.counters == SessionCounters(lines_seen=5)
    assert [s.seq for s in store.session_timeline("s1")] == [2, 1]


def test_writes_apply_in_batch_order(store: ImmersionTrackingStore) -> None:
    # A sample before its session's start names a session that does not exist yet.
    with pytest.raises(StoreIntegrityError):
        write(store, make_video(EP1), sample("s1", 1, T0), start("s1", EP1))
    assert store.get_video(EP1) is None
    assert store.get_session("s1") is None


def test_duplicates_inside_one_batch_are_stored_once(store: ImmersionTrackingStore) -> None:
    write(
        store,
        make_video(EP1),
        make_video(EP1),
        start("s1", EP1),
        start("s1", EP1),
        sample("s1", 1, T0 + 1, lines_seen=1),
        sample("s1", 1, T0 + 1, lines_seen=1),
        event("s1", 1, T0 + 1),
        event("s1", 1, T0 + 1),
    )
    assert store.overview().total_sessions == 1
    assert len(store.session_timeline("s1")) == 1
    assert len(store.session_events("s1")) == 1


def test_an_empty_batch_is_a_no_op(store: ImmersionTrackingStore) -> None:
    store.write_batch([])
    assert store.overview().total_sessions == 0


def test_a_batch_may_span_several_sessions_and_videos(store: ImmersionTrackingStore) -> None:
    write(
        store,
        make_video(EP1),
        make_video(EP2),
        start("a", EP1, T0),
        start("b", EP2, T0 + 1),
        sample("a", 1, T0 + 2, lines_seen=1),
        sample("b", 1, T0 + 3, lines_seen=2),
    )
    assert [s.lines_seen for s in store.session_summaries()] == [2, 1]
