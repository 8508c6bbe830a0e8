"""Records as flat rows of named fields: the export format's lines and CSV files, and the
canonical form the migration's checksums hash.

Each kind has a fixed, ordered list of fields (``FIELDS``); a row is a tuple of plain values
in that order: integers, strings, ``None``, ``true``/``false`` for ``lifetime_applied``, ISO
dates (``"2026-03-02"``) for local days. Enumerations are their integers (``source_type``
1 local / 2 remote; ``status`` 1 active / 2 ended; ``event_type`` 1-9 as in
``domain.EventType``). ``decode`` checks the types of every field and then the values with
``records.check_records``, so a row that decodes is a record any store accepts (apart from
parents it names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ..analytics import LEDGER_COUNTERS, PeriodTotals
from ..domain import (
    COUNTER_NAMES,
    EventType,
    Session,
    SessionCounters,
    SessionStatus,
    SourceType,
    TelemetrySample,
    TrackedEvent,
    Video,
    VideoMetadata,
    day_from_number,
    day_number,
)
from ..errors import StoreIntegrityError
from ..records import (
    ActivityRecord,
    LifetimeRecord,
    Record,
    RecordKind,
    RollupRecord,
    SessionRecord,
    StateRecord,
    check_records,
)
from ..stores.ledger import DayActivity, LedgerEntry, LifetimeTotals

__all__ = ["FIELDS", "RowError", "decode", "encode"]

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


class RowError(ValueError):
    """A row that is not a valid record; the message says which field and why."""


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


# ----------------------------------------------------------------- decoding


def _typed(name: str, kind: str, value: Any, *, from_text: bool) -> Any:
    """``value`` checked (JSON) or parsed (CSV text) as field type ``kind``."""
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if from_text and isinstance(value, str) and value == "" and (optional or base != "str"):
        value = None
    if value is None:
        if optional:
            return None
        raise RowError(f"{name}: missing value")
    if base == "int":
        if from_text and isinstance(value, str):
            try:
                return int(value, 10)
            except ValueError:
                raise RowError(f"{name}: not an integer: {value!r:.40}") from None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise RowError(f"{name}: expected an integer, got {_json_type(value)}")
    if base == "bool":
        if from_text and isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        if isinstance(value, bool):
            return value
        raise RowError(f"{name}: expected true or false, got {_json_type(value)}")
    if not isinstance(value, str):
        raise RowError(f"{name}: expected a string, got {_json_type(value)}")
    if base == "key" and not value:
        raise RowError(f"{name}: must not be empty")
    if base == "day":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise RowError(f"{name}: not an ISO date (YYYY-MM-DD): {value!r:.40}") from None
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _enum(name: str, enum: Any, value: int) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise RowError(f"{name}: unknown value {value}") from None


def _build(kind: RecordKind, v: dict[str, Any]) -> Record:
    def counters() -> SessionCounters:
        return SessionCounters(**{n: v[n] for n in COUNTER_NAMES})

    def ledger(count: int) -> PeriodTotals:
        return PeriodTotals(sessions=count, **{n: v[n] for n in LEDGER_COUNTERS})

    if kind == "videos":
        return Video(
            video_key=v["video_key"],
            title=v["title"],
            source_type=_enum("source_type", SourceType, v["source_type"]),
            source_path=v["source_path"],
            source_url=v["source_url"],
            duration_ms=v["duration_ms"],
            metadata=VideoMetadata(**{name: v[name] for name in _METADATA}),
            created_at_ms=v["created_at_ms"],
            updated_at_ms=v["updated_at_ms"],
        )
    if kind == "sessions":
        session = Session(
            session_uuid=v["session_uuid"],
            video_key=v["video_key"],
            started_at_ms=v["started_at_ms"],
            local_day=v["local_day"],
            local_month=v["local_month"],
            local_hour=v["local_hour"],
            status=_enum("status", SessionStatus, v["status"]),
            ended_at_ms=v["ended_at_ms"],
            ended_media_ms=v["ended_media_ms"],
            counters=counters(),
            last_sample_ms=v["last_sample_ms"],
        )
        return SessionRecord(session, v["live_seq"])
    if kind == "telemetry":
        return TelemetrySample(v["session_uuid"], v["seq"], v["sample_ms"], counters())
    if kind == "events":
        return TrackedEvent(
            session_uuid=v["session_uuid"],
            seq=v["seq"],
            ts_ms=v["ts_ms"],
            event_type=_enum("event_type", EventType, v["event_type"]),
            line_index=v["line_index"],
            segment_start_ms=v["segment_start_ms"],
            segment_end_ms=v["segment_end_ms"],
            words_delta=v["words_delta"],
            cards_delta=v["cards_delta"],
            payload_json=v["payload_json"],
        )
    if kind == "ledger":
        return LedgerEntry(
            session_uuid=v["session_uuid"],
            video_key=v["video_key"],
            started_at_ms=v["started_at_ms"],
            ended_at_ms=v["ended_at_ms"],
            local_day=v["local_day"],
            local_month=v["local_month"],
            local_hour=v["local_hour"],
            totals=ledger(1),
            lifetime_applied=v["lifetime_applied"],
        )
    if kind == "daily_rollups":
        return RollupRecord(day_number(v["local_day"]), v["video_key"], ledger(v["sessions"]))
    if kind == "monthly_rollups":
        return RollupRecord(v["local_month"], v["video_key"], ledger(v["sessions"]))
    if kind in ("lifetime_videos", "lifetime_global"):
        totals = LifetimeTotals(
            totals=ledger(v["sessions"]),
            active_days=v["active_days"],
            first_watched_ms=v["first_watched_ms"],
            last_watched_ms=v["last_watched_ms"],
            last_started_ms=v.get("last_started_ms"),
        )
        return LifetimeRecord(v.get("video_key"), totals)
    if kind == "activity_days":
        activity = DayActivity(
            sessions=v["sessions"],
            active_watched_ms=v["active_watched_ms"],
            cards_mined=v["cards_mined"],
            words_seen=v["words_seen"],
        )
        return ActivityRecord(v["local_day"], activity)
    return StateRecord(v["key"], v["value"])


def decode(kind: RecordKind, fields: Mapping[str, Any], *, from_text: bool = False) -> Record:
    """The record of ``kind`` with these ``fields`` (every field of ``FIELDS[kind]``, no
    other; CSV cells as text when ``from_text``). ``RowError`` saying what is wrong."""
    spec = FIELDS[kind]
    unknown = set(fields) - {name for name, _ in spec}
    if unknown:
        raise RowError(f"unknown field {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for name, type_name in spec:
        if name not in fields:
            raise RowError(f"{name}: missing field")
        values[name] = _typed(name, type_name, fields[name], from_text=from_text)
    try:
        record = _build(kind, values)
        return check_records(kind, [record])[0]
    except StoreIntegrityError as exc:
        # "<kind> record 0: <reason>" -> "<reason>"
        raise RowError(str(exc).split(": ", 1)[-1]) from None
    except OverflowError as exc:  # a day number out of the calendar
        raise RowError(str(exc)) from None
