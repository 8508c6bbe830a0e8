"""Portable records: what ``ImmersionTrackingStore.iter_records`` yields and
``load_records`` takes, one shape per kind of stored data.

A record names things only by their public identifiers (video key, session UUID, local day,
``YYYYMM`` month), never by a store's surrogate ids, so any store can load what any other
store wrote. The kinds, in dependency order (a kind only names things of the kinds before it):

- ``videos``: ``domain.Video``, key ``(video_key,)``;
- ``sessions``: ``SessionRecord`` (a session with its counters), key ``(session_uuid,)``;
- ``telemetry``: ``domain.TelemetrySample``, key ``(session_uuid, seq)``;
- ``events``: ``domain.TrackedEvent``, key ``(session_uuid, seq)``;
- ``ledger``: ``stores.ledger.LedgerEntry`` (final counters of an ended session), key
  ``(session_uuid,)``;
- ``daily_rollups`` / ``monthly_rollups``: ``RollupRecord``, key ``(day number, video_key)``
  / ``(YYYYMM, video_key)``;
- ``lifetime_videos``: ``LifetimeRecord``, key ``(video_key,)``; ``lifetime_global``: one
  ``LifetimeRecord``, key ``()``;
- ``activity_days``: ``ActivityRecord``, key ``(day number,)``;
- ``state``: ``StateRecord`` (a maintenance value), key ``(key,)``.

Records are iterated in the order of their key. Their values are checked by
``stores.record_validation.check_records`` (the rules of ``write_batch``).

Keys order by code point (strings) and numerically (integers), the same on every store.
A ledger entry, rollup or lifetime record may name a session that was pruned (they live
longer than raw data) but always a video that exists (videos are never pruned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, get_args

from .analytics import PeriodTotals
from .domain import Session, TelemetrySample, TrackedEvent, Video, day_number
from .stores.ledger import DayActivity, LedgerEntry, LifetimeTotals

__all__ = [
    "DERIVED_KINDS",
    "MAX_STATE_KEY_CHARS",
    "RAW_KINDS",
    "RECORD_KINDS",
    "ActivityRecord",
    "LifetimeRecord",
    "Record",
    "RecordKey",
    "RecordKind",
    "RollupRecord",
    "SessionRecord",
    "StateRecord",
    "check_kind",
    "record_key",
    "record_type",
]

RecordKind = Literal[
    "videos",
    "sessions",
    "telemetry",
    "events",
    "ledger",
    "daily_rollups",
    "monthly_rollups",
    "lifetime_videos",
    "lifetime_global",
    "activity_days",
    "state",
]
# Every kind, in dependency order: loading them in this order never names a missing parent.
RECORD_KINDS: tuple[RecordKind, ...] = get_args(RecordKind)
# What the tracker records; everything else is derived from it (and may outlive it).
RAW_KINDS: tuple[RecordKind, ...] = ("videos", "sessions", "telemetry", "events")
# Rollups and totals that a merge recomputes from the merged ledger instead of copying.
DERIVED_KINDS: tuple[RecordKind, ...] = (
    "daily_rollups",
    "monthly_rollups",
    "lifetime_videos",
    "lifetime_global",
    "activity_days",
)

# A natural key: strings and integers only, so it round-trips through JSON (checkpoints).
RecordKey = tuple[str | int, ...]

# The schema's ``maintenance_state.key`` column.
MAX_STATE_KEY_CHARS = 100


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session as stored: its state (final or live counters, status, times) and
    ``live_seq``, the ``seq`` of the sample its live counters came from (``None`` when no
    sample raised them), which later samples are compared with."""

    session: Session
    live_seq: int | None = None


@dataclass(frozen=True, slots=True)
class RollupRecord:
    """One rollup row: ``period`` is a day number (``domain.day_number``) for
    ``daily_rollups`` and a ``YYYYMM`` month for ``monthly_rollups``."""

    period: int
    video_key: str
    totals: PeriodTotals


@dataclass(frozen=True, slots=True)
class LifetimeRecord:
    """All-time totals: of one video (``lifetime_videos``; ``totals.last_started_ms`` is
    always ``None`` there) or of everything (``lifetime_global``, ``video_key`` ``None``)."""

    video_key: str | None
    totals: LifetimeTotals


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """Global activity of one local day."""

    local_day: dt.date
    activity: DayActivity


@dataclass(frozen=True, slots=True)
class StateRecord:
    """One persisted maintenance value (``get_state`` / ``set_state``)."""

    key: str
    value: str


Record = (
    Video
    | SessionRecord
    | TelemetrySample
    | TrackedEvent
    | LedgerEntry
    | RollupRecord
    | LifetimeRecord
    | ActivityRecord
    | StateRecord
)

_TYPES: dict[RecordKind, type] = {
    "videos": Video,
    "sessions": SessionRecord,
    "telemetry": TelemetrySample,
    "events": TrackedEvent,
    "ledger": LedgerEntry,
    "daily_rollups": RollupRecord,
    "monthly_rollups": RollupRecord,
    "lifetime_videos": LifetimeRecord,
    "lifetime_global": LifetimeRecord,
    "activity_days": ActivityRecord,
    "state": StateRecord,
}


def check_kind(kind: str) -> RecordKind:
    """``kind`` as a ``RecordKind``; ``ValueError`` listing the kinds when it is none."""
    if kind not in _TYPES:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(_TYPES)}")
    return kind


def record_type(kind: RecordKind) -> type:
    """The class of the records of ``kind``."""
    return _TYPES[kind]


def record_key(kind: RecordKind, record: Record) -> RecordKey:
    """The natural key of ``record`` (see the module docstring)."""
    match record:
        case Video():
            return (record.video_key,)
        case SessionRecord():
            return (record.session.session_uuid,)
        case TelemetrySample() | TrackedEvent():
            return (record.session_uuid, record.seq)
        case LedgerEntry():
            return (record.session_uuid,)
        case RollupRecord():
            return (record.period, record.video_key)
        case LifetimeRecord():
            return () if kind == "lifetime_global" else (record.video_key or "",)
        case ActivityRecord():
            return (day_number(record.local_day),)
        case StateRecord():
            return (record.key,)
    raise TypeError(f"not a record: {type(record).__name__}")  # pragma: no cover
