"""The bulk transfer path of ``MemoryStore``: ``iter_records``, ``count_records`` and
``load_records`` over its dictionaries (the contract is in ``immersion.store``).

Not thread-safe on its own: ``MemoryStore`` calls everything here with its lock held. Rows
are frozen dataclasses, so a snapshot is a list of references.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from ..domain import TelemetrySample, TrackedEvent, Video
from ..errors import StoreIntegrityError
from ..records import (
    ActivityRecord,
    LifetimeRecord,
    Record,
    RecordKey,
    RecordKind,
    RollupRecord,
    SessionRecord,
    StateRecord,
    record_key,
)
from .ledger import LedgerEntry, LifetimeTotals
from .memory_analytics import MemoryAnalytics
from .memory_staging import MemoryTables

__all__ = ["MemoryBulk"]

_K = TypeVar("_K")
_V = TypeVar("_V")


class MemoryBulk:
    """The records of one memory store's tables, analytics data and state."""

    def __init__(
        self, tables: MemoryTables, analytics: MemoryAnalytics, state: dict[str, str]
    ) -> None:
        self._tables = tables
        self._analytics = analytics
        self._state = state

    # ----------------------------------------------------------------- reading

    def snapshot(self, kind: RecordKind, after: RecordKey | None) -> list[Record]:
        """Every record of ``kind`` after ``after``, in natural-key order."""
        records = sorted(self._records(kind), key=lambda r: record_key(kind, r))
        if after is None:
            return records
        return [r for r in records if record_key(kind, r) > after]

    def count(self, kind: RecordKind) -> int:
        tables, analytics = self._tables, self._analytics
        sizes: dict[RecordKind, Callable[[], int]] = {
            "videos": lambda: len(tables.videos),
            "sessions": lambda: len(tables.sessions),
            "telemetry": lambda: sum(map(len, tables.samples.values())),
            "events": lambda: sum(map(len, tables.events.values())),
            "ledger": lambda: len(analytics.ledger),
            "daily_rollups": lambda: len(analytics.daily),
            "monthly_rollups": lambda: len(analytics.monthly),
            "lifetime_videos": lambda: len(analytics.lifetime_videos),
            "lifetime_global": lambda: int(analytics.lifetime_global != LifetimeTotals()),
            "activity_days": lambda: len(analytics.activity),
            "state": lambda: len(self._state),
        }
        return sizes[kind]()

    def _records(self, kind: RecordKind) -> Iterable[Record]:
        tables, analytics = self._tables, self._analytics
        if kind == "videos":
            return tables.videos.values()
        if kind == "sessions":
            return [
                SessionRecord(session, tables.live_seq.get(uuid))
                for uuid, session in tables.sessions.items()
            ]
        if kind == "telemetry":
            return [s for samples in tables.samples.values() for s in samples.values()]
        if kind == "events":
            return [e for events in tables.events.values() for e in events.values()]
        if kind == "ledger":
            return analytics.ledger.values()
        if kind in ("daily_rollups", "monthly_rollups"):
            table = analytics.daily if kind == "daily_rollups" else analytics.monthly
            return [RollupRecord(period, key, totals) for (period, key), totals in table.items()]
        if kind == "lifetime_videos":
            # The SQL stores keep the latest start only globally; so does a record.
            return [
                LifetimeRecord(key, replace(totals, last_started_ms=None))
                for key, totals in analytics.lifetime_videos.items()
            ]
        if kind == "lifetime_global":
            total = analytics.lifetime_global
            return [] if total == LifetimeTotals() else [LifetimeRecord(None, total)]
        if kind == "activity_days":
            return [ActivityRecord(day, activity) for day, activity in analytics.activity.items()]
        return [StateRecord(key, value) for key, value in self._state.items()]

    # ----------------------------------------------------------------- loading

    def load(self, kind: RecordKind, records: Sequence[Record]) -> int:
        """Insert the records whose key is not stored yet (already validated); all or
        nothing: every reference is checked before anything changes."""
        self._check_references(kind, records)
        inserted = 0
        for record in records:
            if self._insert(kind, record):
                inserted += 1
        return inserted

    def _check_references(self, kind: RecordKind, records: Sequence[Record]) -> None:
        videos, sessions = self._tables.videos, self._tables.sessions
        for index, record in enumerate(records):
            video_key = _video_named(record)
            if video_key is not None and video_key not in videos:
                raise StoreIntegrityError(
                    f"{kind} record {index} names an unknown video {video_key!r}"
                )
            uuid = _session_named(record)
            if uuid is not None and uuid not in sessions:
                raise StoreIntegrityError(
                    f"{kind} record {index} names an unknown session {uuid!r}"
                )

    def _insert(self, kind: RecordKind, record: Record) -> bool:
        tables, analytics = self._tables, self._analytics
        match record:
            case SessionRecord(session=session, live_seq=live_seq):
                if session.session_uuid in tables.sessions:
                    return False
                tables.sessions[session.session_uuid] = session
                if live_seq is not None:
                    tables.live_seq[session.session_uuid] = live_seq
                return True
            case LedgerEntry():
                if record.session_uuid in analytics.ledger:
                    return False
                analytics.ledger[record.session_uuid] = record
                index = (record.video_key, record.local_day)
                analytics.by_video_day.setdefault(index, set()).add(record.session_uuid)
                return True
            case RollupRecord(period=period, video_key=video_key, totals=totals):
                table = analytics.daily if kind == "daily_rollups" else analytics.monthly
                return _put(table, (period, video_key), totals)
            case LifetimeRecord(video_key=video_key, totals=totals):
                if video_key is not None:
                    return _put(analytics.lifetime_videos, video_key, totals)
                if analytics.lifetime_global != LifetimeTotals():
                    return False
                analytics.lifetime_global = totals
                return True
            case ActivityRecord(local_day=day, activity=activity):
                return _put(analytics.activity, day, activity)
            case StateRecord(key=state_key, value=value):
                return _put(self._state, state_key, value)
            case Video():
                return _put(tables.videos, record.video_key, record)
            case TelemetrySample():
                samples = tables.samples.setdefault(record.session_uuid, {})
                return _put(samples, record.seq, record)
            case TrackedEvent():
                events = tables.events.setdefault(record.session_uuid, {})
                return _put(events, record.seq, record)
        raise AssertionError(f"unexpected {kind} record")  # pragma: no cover


def _put(table: dict[_K, _V], key: _K, value: _V) -> bool:
    if key in table:
        return False
    table[key] = value
    return True


def _video_named(record: Record) -> str | None:
    match record:
        case SessionRecord(session=session):
            return session.video_key
        case LedgerEntry() | RollupRecord():
            return record.video_key
        case LifetimeRecord(video_key=video_key):
            return video_key
    return None


def _session_named(record: Record) -> str | None:
    if isinstance(record, TelemetrySample | TrackedEvent):
        return record.session_uuid
    return None
