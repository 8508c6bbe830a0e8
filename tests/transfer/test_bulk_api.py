"""The bulk transfer contract (``iter_records`` / ``count_records`` / ``load_records``) on
every store: the ``store`` fixture of ``tests/conftest.py`` (memory, SQLite, PostgreSQL,
MariaDB)."""

from __future__ import annotations

import dataclasses

import pytest
from tests.transfer.helpers import ZONE, everything, fill, reads, records

from immersion.domain import TrackedEvent
from immersion.errors import StoreIntegrityError
from immersion.records import RECORD_KINDS, StateRecord, record_key
from immersion.store import ImmersionTrackingStore
from immersion.stores.ledger import LedgerEntry
from immersion.stores.memory import MemoryStore


@pytest.fixture(scope="module")
def reference() -> MemoryStore:
    """The history every test here copies (read only)."""
    store = MemoryStore(timezone=ZONE)
    fill(store, events=4000)
    return store


def copy_all(source: ImmersionTrackingStore, destination: ImmersionTrackingStore) -> int:
    loaded = 0
    for kind in RECORD_KINDS:
        for batch in source.iter_records(kind, batch_size=700):
            loaded += destination.load_records(kind, batch)
    return loaded


def test_a_copy_holds_every_record_and_answers_every_read_alike(
    store: ImmersionTrackingStore, reference: MemoryStore
) -> None:
    loaded = copy_all(reference, store)
    expected = everything(reference)
    assert loaded == sum(len(rows) for rows in expected.values())
    assert everything(store) == expected
    assert {kind: store.count_records(kind) for kind in RECORD_KINDS} == {
        kind: reference.count_records(kind) for kind in RECORD_KINDS
    }
    assert reads(store) == reads(reference)


def test_loading_again_stores_nothing(
    store: ImmersionTrackingStore, reference: MemoryStore
) -> None:
    copy_all(reference, store)
    assert copy_all(reference, store) == 0
    events = records(reference, "events")[:50]
    assert store.load_records("events", events + events) == 0
    assert store.count_records("events") == reference.count_records("events")


def test_duplicates_inside_one_batch_count_once(
    store: ImmersionTrackingStore, reference: MemoryStore
) -> None:
    videos = records(reference, "videos")
    assert store.load_records("videos", videos + videos) == len(videos)
    state = [StateRecord("k", "first"), StateRecord("k", "second")]
    assert store.load_records("state", state) == 1
    assert store.get_state("k") == "first"


@pytest.mark.parametrize("kind", ["sessions", "telemetry", "events", "daily_rollups"])
def test_iteration_resumes_after_a_key_in_bounded_batches(
    store: ImmersionTrackingStore, reference: MemoryStore, kind: str
) -> None:
    copy_all(reference, store)
    every = records(store, kind)  # type: ignore[arg-type]
    keys = [record_key(kind, r) for r in every]  # type: ignore[arg-type]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    middle = keys[len(keys) // 2]
    batches = list(store.iter_records(kind, after=middle, batch_size=37))  # type: ignore[arg-type]
    assert all(0 < len(batch) <= 37 for batch in batches)
    assert [r for batch in batches for r in batch] == every[len(keys) // 2 + 1 :]
    assert list(store.iter_records(kind, after=keys[-1])) == []  # type: ignore[arg-type]


def test_a_record_naming_a_missing_parent_stores_nothing(
    store: ImmersionTrackingStore, reference: MemoryStore
) -> None:
    sessions = records(reference, "sessions")
    with pytest.raises(StoreIntegrityError, match="unknown video"):
        store.load_records("sessions", sessions)
    assert store.count_records("sessions") == 0
    store.load_records("videos", records(reference, "videos"))
    store.load_records("sessions", sessions[:1])
    known, unknown = (s.session.session_uuid for s in sessions[:2])  # type: ignore[union-attr]
    events = records(reference, "events")
    mine = [e for e in events if e.session_uuid == known][:3]  # type: ignore[union-attr]
    theirs = [e for e in events if e.session_uuid == unknown][:1]  # type: ignore[union-attr]
    with pytest.raises(StoreIntegrityError, match="unknown session"):
        store.load_records("events", mine + theirs)
    assert store.count_records("events") == 0


def test_invalid_records_are_refused_before_anything_is_stored(
    store: ImmersionTrackingStore, reference: MemoryStore
) -> None:
    store.load_records("videos", records(reference, "videos"))
    store.load_records("sessions", records(reference, "sessions"))
    good = records(reference, "events")[:3]
    bad = dataclasses.replace(good[1], seq=-1)
    assert isinstance(bad, TrackedEvent)
    with pytest.raises(StoreIntegrityError, match="events record 1: seq"):
        store.load_records("events", [good[0], bad, good[2]])
    with pytest.raises(StoreIntegrityError, match="must be a TrackedEvent"):
        store.load_records("events", records(reference, "telemetry")[:1])
    with pytest.raises(StoreIntegrityError, match="lone surrogate"):
        store.load_records("state", [StateRecord("k", "\ud800")])
    assert store.count_records("events") == 0
    with pytest.raises(ValueError, match="unknown record kind"):
        store.load_records("nope", [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        store.iter_records("events", batch_size=0)


def test_unapplied_ledger_entries_are_booked_by_update_rollups(
    store: ImmersionTrackingStore, reference: MemoryStore
) -> None:
    """A merge loads ledger entries unapplied and recomputes: same totals as the source."""
    for kind in ("videos", "sessions", "telemetry", "events", "ledger"):
        batch = records(reference, kind)  # type: ignore[arg-type]
        if kind == "ledger":
            batch = [dataclasses.replace(e, lifetime_applied=False) for e in batch]  # type: ignore[arg-type]
        store.load_records(kind, batch)  # type: ignore[arg-type]
    assert store.update_rollups() > 0
    derived = ("daily_rollups", "monthly_rollups", "activity_days", "lifetime_videos")
    for kind in (*derived, "lifetime_global"):
        # the reference pruned no ledger entry: its derived data is the ledger's
        assert records(store, kind) == records(reference, kind), kind  # type: ignore[arg-type]
    assert all(isinstance(e, LedgerEntry) and e.lifetime_applied for e in records(store, "ledger"))
