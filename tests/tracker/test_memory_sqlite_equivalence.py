"""Random sequences of tracker calls give identical reads on the memory model and SQLite."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from immersion import Tracker
from immersion.store import ImmersionTrackingStore
from immersion.stores.memory import MemoryStore
from immersion.stores.sqlite import SqliteStore
from immersion.testing import ManualClock
from tests.tracker.conftest import START_MS
from tests.tracker.helpers import counting_uuids

PATHS = [
    None,
    "",
    "/anime/Show/ep01.mkv",
    "/anime/Show/ep02.mkv",
    "https://jf.example/Videos/1/stream.mkv?Static=true&api_key=A",
    "https://jf.example/Videos/1/stream.mkv?Static=true&api_key=B&StartTimeTicks=5",
    '/anime/it\'s "quoted"; --.mkv',
]
TEXTS = st.text(alphabet="ab 語学かナ\n'%", max_size=12)
SECONDS = st.one_of(
    st.floats(min_value=0, max_value=2_000, allow_nan=False),
    st.sampled_from([0, 1, 1.5, 60, float("nan"), -1.0, float("inf")]),
)

Op = tuple[str, tuple[Any, ...]]
OPS: st.SearchStrategy[Op] = st.one_of(
    st.tuples(st.just("handle_media_change"), st.tuples(st.sampled_from(PATHS), st.none() | TEXTS)),
    st.tuples(st.just("handle_media_title_update"), st.tuples(TEXTS)),
    st.tuples(st.just("record_media_duration"), st.tuples(SECONDS)),
    st.tuples(st.just("record_playback_position"), st.tuples(SECONDS)),
    st.tuples(st.just("record_pause_state"), st.tuples(st.booleans())),
    st.tuples(
        st.just("record_subtitle_line"),
        st.tuples(TEXTS, SECONDS, SECONDS, st.none() | st.integers(0, 30)),
    ),
    st.tuples(st.just("record_lookup"), st.tuples(st.booleans())),
    st.tuples(st.just("record_dictionary_lookup"), st.just(())),
    st.tuples(
        st.just("record_cards_mined"),
        st.tuples(st.integers(1, 3), st.lists(st.integers(1, 10**13), max_size=3)),
    ),
    st.tuples(st.just("record_media_buffer_event"), st.just(())),
    st.tuples(st.just("flush"), st.just(())),
    st.tuples(st.just("advance"), st.tuples(st.integers(0, 70_000))),
)


def _reads(store: ImmersionTrackingStore) -> dict[str, Any]:
    summaries = store.session_summaries(limit=1_000)
    return {
        "summaries": summaries,
        "events": [store.session_events(s.session_uuid, limit=10_000) for s in summaries],
        "timelines": [store.session_timeline(s.session_uuid) for s in summaries],
        "videos": store.video_stats(),
        "overview": store.overview(),
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.sampled_from(PATHS[2:]), st.lists(OPS, min_size=20, max_size=80))
def test_memory_and_sqlite_read_the_same(first_path: str, ops: list[Op]) -> None:
    ops = [("handle_media_change", (first_path, None)), *ops]
    with tempfile.TemporaryDirectory() as directory:
        sqlite_store = SqliteStore(Path(directory) / "equivalence.sqlite")
        sqlite_store.create_or_upgrade_schema()
        clocks = [ManualClock(START_MS), ManualClock(START_MS)]
        stores: list[ImmersionTrackingStore] = [MemoryStore(), sqlite_store]
        config = {"timezone": "Asia/Tokyo", "write": {"sample_interval_ms": 2_000}}
        trackers = [
            Tracker(store, config, clock=clock, new_session_uuid=counting_uuids())
            for store, clock in zip(stores, clocks, strict=True)
        ]
        try:
            for name, args in ops:
                for tracker, clock in zip(trackers, clocks, strict=True):
                    if name == "advance":
                        clock.advance(*args)
                    elif name == "flush":
                        assert tracker.flush(10)
                    else:
                        getattr(tracker, name)(*args)
            for tracker in trackers:
                tracker.handle_media_change(None)
                assert tracker.flush(10)
                diagnostics = tracker.diagnostics()
                assert (diagnostics.dropped, diagnostics.dead_lettered) == (0, 0)
            memory_reads, sqlite_reads = (_reads(store) for store in stores)
            assert sqlite_reads == memory_reads
            sessions = len(memory_reads["summaries"])
            events = sum(len(events) for events in memory_reads["events"])
            event(f"sessions: {min(sessions, 3)}{'+' if sessions >= 3 else ''}")
            event(f"events: {'0' if not events else '1-9' if events < 10 else '10+'}")
        finally:
            for tracker in trackers:
                tracker.close(10)
