"""Records as flat rows of named fields: the export format's lines and CSV files, and the
canonical form the migration's checksums hash.

Each kind has a fixed, ordered list of fields (``FIELDS``); a row is a tuple of plain values
in that order: integers, strings, ``None``, ``true``/``false`` for ``lifetime_applied``, ISO
dates (``"2026-03-02"``) for local days. Enumerations are their integers (``source_type``
1 local / 2 remote; ``status`` 1 active / 2 ended; ``event_type`` 1-9 as in
``domain.EventType``). ``decoding.decode`` is the way back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..analytics import LEDGER_COUNTERS, PeriodTotals
from ..domain import (
    COUNTER_NAMES,
    SessionCounters,
    Video,
    day_from_number,
)
from ..records import (
    Record,
    RecordKind,
    RollupRecord,
    SessionRecord,
)
from ..stores.ledger import LifetimeTotals

__all__ = ["FIELDS", "Row", "encode", "encoder"]

Row = tuple[Any, ...]

# Field types: "key" a non-empty string, "str" a string, "int" an integer, "day" an ISO date,
# "bool" true/false; a trailing "?" also allows null (an empty cell in CSV).
_COUNTERS = tuple((name, "int") for name in COUNTER_NAMES)
_LEDGER = tuple((name, "int") for name in LEDGER_COUNTERS)
_LIFETIME = (
    ("sessions", "int"),
    *_LEDGER,
    ("active_days", "int"),
    ("first_watched_ms", "int?"),
    ("last_watched_ms", "int?"),
)
_METADATA = ("file_size_bytes", "codec", "width_px", "height_px", "fps_x100", "bitrate_kbps")

FIELDS: dict[RecordKind, tuple[tuple[str, str], ...]] = {
    "videos": (
        ("video_key", "key"),
        ("title", "str"),
        ("source_type", "int"),
        ("source_path", "str?"),
        ("source_url", "str?"),
        ("duration_ms", "int?"),
        ("file_size_bytes", "int?"),
        ("codec", "str?"),
        ("width_px", "int?"),
        ("height_px", "int?"),
        ("fps_x100", "int?"),
        ("bitrate_kbps", "int?"),
        ("created_at_ms", "int"),
        ("updated_at_ms", "int"),
    ),
    "sessions": (
        ("session_uuid", "key"),
        ("video_key", "key"),
        ("started_at_ms", "int"),
        ("local_day", "day"),
        ("local_month", "int"),
        ("local_hour", "int"),
        ("status", "int"),
        ("ended_at_ms", "int?"),
        ("ended_media_ms", "int?"),
        ("last_sample_ms", "int?"),
        ("live_seq", "int?"),
        *_COUNTERS,
    ),
    "telemetry": (("session_uuid", "key"), ("seq", "int"), ("sample_ms", "int"), *_COUNTERS),
    "events": (
        ("session_uuid", "key"),
        ("seq", "int"),
        ("ts_ms", "int"),
        ("event_type", "int"),
        ("line_index", "int?"),
        ("segment_start_ms", "int?"),
        ("segment_end_ms", "int?"),
        ("words_delta", "int"),
        ("cards_delta", "int"),
        ("payload_json", "str?"),
    ),
    "ledger": (
        ("session_uuid", "key"),
        ("video_key", "key"),
        ("started_at_ms", "int"),
        ("ended_at_ms", "int"),
        ("local_day", "day"),
        ("local_month", "int"),
        ("local_hour", "int"),
        ("lifetime_applied", "bool"),
        *_LEDGER,
    ),
    "daily_rollups": (("local_day", "day"), ("video_key", "key"), ("sessions", "int"), *_LEDGER),
    "monthly_rollups": (
        ("local_month", "int"),
        ("video_key", "key"),
        ("sessions", "int"),
        *_LEDGER,
    ),
    "lifetime_videos": (("video_key", "key"), *_LIFETIME),
    "lifetime_global": (*_LIFETIME, ("last_started_ms", "int?")),
    "activity_days": (
        ("local_day", "day"),
        ("sessions", "int"),
        ("active_watched_ms", "int"),
        ("cards_mined", "int"),
        ("words_seen", "int"),
    ),
    "state": (("key", "key"), ("value", "str")),
}


# ----------------------------------------------------------------- encoding


def _video(v: Video) -> Row:
    m = v.metadata
    return (
        v.video_key,
        v.title,
        int(v.source_type),
        v.source_path,
        v.source_url,
        v.duration_ms,
        *(getattr(m, name) for name in _METADATA),
        v.created_at_ms,
        v.updated_at_ms,
    )


def _session(r: SessionRecord) -> Row:
    s = r.session
    return (
        s.session_uuid,
        s.video_key,
        s.started_at_ms,
        s.local_day.isoformat(),
        s.local_month,
        s.local_hour,
        int(s.status),
        s.ended_at_ms,
        s.ended_media_ms,
        s.last_sample_ms,
        r.live_seq,
        *_counter_values(s.counters),
    )


def _counter_values(c: SessionCounters) -> Row:
    return (
        c.total_watched_ms,
        c.active_watched_ms,
        c.lines_seen,
        c.words_seen,
        c.tokens_seen,
        c.cards_mined,
        c.lookup_count,
        c.lookup_hits,
        c.dictionary_lookups,
        c.pause_count,
        c.pause_ms,
        c.seek_forward_count,
        c.seek_backward_count,
        c.media_buffer_events,
    )


def _ledger_values(t: PeriodTotals) -> Row:
    return tuple(getattr(t, name) for name in LEDGER_COUNTERS)


def _lifetime(t: LifetimeTotals) -> Row:
    return (
        t.totals.sessions,
        *_ledger_values(t.totals),
        t.active_days,
        t.first_watched_ms,
        t.last_watched_ms,
    )


def _rollup(r: RollupRecord, daily: bool) -> Row:
    period: Any = day_from_number(r.period).isoformat() if daily else r.period
    return (period, r.video_key, r.totals.sessions, *_ledger_values(r.totals))


_ENCODERS: dict[RecordKind, Callable[[Any], Row]] = {
    "videos": _video,
    "sessions": _session,
    "telemetry": lambda s: (s.session_uuid, s.seq, s.sample_ms, *_counter_values(s.counters)),
    "events": lambda e: (
        e.session_uuid,
        e.seq,
        e.ts_ms,
        int(e.event_type),
        e.line_index,
        e.segment_start_ms,
        e.segment_end_ms,
        e.words_delta,
        e.cards_delta,
        e.payload_json,
    ),
    "ledger": lambda e: (
        e.session_uuid,
        e.video_key,
        e.started_at_ms,
        e.ended_at_ms,
        e.local_day.isoformat(),
        e.local_month,
        e.local_hour,
        e.lifetime_applied,
        *_ledger_values(e.totals),
    ),
    "daily_rollups": lambda r: _rollup(r, daily=True),
    "monthly_rollups": lambda r: _rollup(r, daily=False),
    "lifetime_videos": lambda r: (r.video_key, *_lifetime(r.totals)),
    "lifetime_global": lambda r: (*_lifetime(r.totals), r.totals.last_started_ms),
    "activity_days": lambda r: (
        r.local_day.isoformat(),
        r.activity.sessions,
        r.activity.active_watched_ms,
        r.activity.cards_mined,
        r.activity.words_seen,
    ),
    "state": lambda r: (r.key, r.value),
}


def encoder(kind: RecordKind) -> Callable[[Record], Row]:
    """The function that turns a record of ``kind`` into its row (``FIELDS[kind]`` order)."""
    return _ENCODERS[kind]


def encode(kind: RecordKind, record: Record) -> Row:
    """The row of ``record``, in the order of ``FIELDS[kind]``."""
    return _ENCODERS[kind](record)
