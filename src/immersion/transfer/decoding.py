"""Rows of named fields (an export's lines, CSV rows) back into records.

``decode`` checks the type of every field (``codec.FIELDS``) and then the values with
``stores.record_validation.check_records``, so a row that decodes is a record any store
accepts (apart from the parents it names, which the importer checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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
)
from ..stores.ledger import DayActivity, LedgerEntry, LifetimeTotals
from ..stores.record_validation import check_records
from .codec import FIELDS

__all__ = ["RowError", "decode"]

_METADATA = ("file_size_bytes", "codec", "width_px", "height_px", "fps_x100", "bitrate_kbps")


class RowError(ValueError):
    """A row that is not a valid record; the message says which field and why."""


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
