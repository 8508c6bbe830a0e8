"""The benchmark history: exact, deterministic, and valid for every store."""

from __future__ import annotations

from collections import Counter

from benchmarks.generator import History

from immersion.stores.memory import MemoryStore
from immersion.writes import FinalizeSession, RecordEvent, RecordSample, StartSession


def test_same_seed_same_writes_other_seed_other_writes() -> None:
    first = list(History(3_000, seed=7).writes())
    assert first == list(History(3_000, seed=7).writes())
    assert first != list(History(3_000, seed=8).writes())


def test_exactly_the_requested_events_with_samples_and_sessions() -> None:
    history = History(12_345)
    kinds = Counter(type(write).__name__ for write in history.writes())
    summary = history.summary
    assert kinds["RecordEvent"] == summary.events == 12_345
    assert kinds["RecordSample"] == summary.samples > 0
    assert kinds["StartSession"] == summary.sessions > 1
    # the newest session is still being watched when the history ends
    assert kinds["FinalizeSession"] == summary.sessions - summary.active_sessions
    assert summary.active_sessions >= 1
    assert sum(kinds.values()) == summary.writes


def test_sequence_numbers_increase_per_session_and_the_store_accepts_it_all() -> None:
    history = History(5_000)
    writes = list(history.writes())
    last_seq: dict[str, int] = {}
    started: set[str] = set()
    for write in writes:
        if isinstance(write, StartSession):
            started.add(write.session_uuid)
        elif isinstance(write, RecordEvent | RecordSample):
            item = write.event if isinstance(write, RecordEvent) else write.sample
            assert item.session_uuid in started
            assert item.seq > last_seq.get(item.session_uuid, 0)
            last_seq[item.session_uuid] = item.seq
        elif isinstance(write, FinalizeSession):
            assert write.session_uuid in started
    store = MemoryStore()
    store.write_batch(writes)
    assert store.overview().total_sessions == history.summary.sessions
