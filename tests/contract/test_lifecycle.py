"""Schema, capabilities and close: what every store does before and after holding data."""

from __future__ import annotations

import threading

from immersion.results import Overview, StoreCapabilities
from immersion.store import ImmersionTrackingStore

from .builders import T0, event, open_session, sample


def test_store_satisfies_the_protocol(store: ImmersionTrackingStore) -> None:
    assert isinstance(store, ImmersionTrackingStore)


def test_capabilities_are_declared_as_booleans(store: ImmersionTrackingStore) -> None:
    caps = store.capabilities
    assert isinstance(caps, StoreCapabilities)
    for name in ("rollups", "retention", "compaction", "durable", "concurrent_writers"):
        assert isinstance(getattr(caps, name), bool), name


def test_schema_creation_is_idempotent_and_at_head(store: ImmersionTrackingStore) -> None:
    # The fixture already created the schema; asking again changes nothing.
    status = store.create_or_upgrade_schema()
    assert status.current_revision == status.head_revision
    assert status.upgraded_from is None
    assert store.create_or_upgrade_schema() == status


def test_close_is_idempotent(store: ImmersionTrackingStore) -> None:
    store.close()
    store.close()  # and the fixture closes it a third time


def test_an_empty_store_reads_empty(store: ImmersionTrackingStore) -> None:
    assert store.session_summaries() == []
    assert store.video_stats() == []
    assert store.session_timeline("nope") == []
    assert store.session_events("nope") == []
    assert store.get_video("local:/nope.mkv") is None
    assert store.get_session("nope") is None
    assert store.overview() == Overview(
        total_sessions=0,
        active_sessions=0,
        total_videos=0,
        total_watched_ms=0,
        active_watched_ms=0,
        lines_seen=0,
        words_seen=0,
        tokens_seen=0,
        cards_mined=0,
        first_started_ms=None,
        last_started_ms=None,
        today_active_min=0.0,
        today_cards=0,
        current_streak_days=0,
        longest_streak_days=0,
        active_days=0,
        all_time_hours=0.0,
    )


def test_reads_from_another_thread_while_writing(store: ImmersionTrackingStore) -> None:
    """The tracker's worker writes while the app reads from its own thread."""
    open_session(store, "s1")
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                [summary] = store.session_summaries()
                assert summary.lines_seen == summary.words_seen  # never half a row
                store.session_timeline("s1", limit=5)
                store.overview()
        except BaseException as exc:  # handed to the main thread below
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for seq in range(1, 61):
            store.write_batch(
                [sample("s1", seq, T0 + seq, lines_seen=seq, words_seen=seq), event("s1", seq, T0)]
            )
    finally:
        done.set()
        reader.join(timeout=30)
    assert not reader.is_alive()
    assert errors == []
    assert store.session_summaries()[0].words_seen == 60
    assert len(store.session_events("s1")) == 60
