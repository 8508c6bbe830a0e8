"""Portable records (``immersion.records``) to and from the rows of the SQL schema.

One ``KindSpec`` per record kind: the table, its unique key, the columns a load writes, which
parent (video or session) a record names, and the converters both ways. Surrogate ids stay
here: a record carries a video key or session UUID, the row the parent's id, resolved by
``bulk_io`` in one query per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, Table, select

from ...analytics import LEDGER_COUNTERS, PERIOD_FIELDS, PeriodTotals
from ...domain import (
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
from ...fast_init import new_counters, new_event, new_sample
from ...records import (
    ActivityRecord,
    LifetimeRecord,
    Record,
    RecordKind,
    RollupRecord,
    SessionRecord,
    StateRecord,
)
from ..ledger import DayActivity, LedgerEntry, LifetimeTotals
from .rollups import GLOBAL_ID as GLOBAL_LIFETIME_ID
from .schema import (
    activity_days,
    daily_rollups,
    events,
    lifetime_global,
    lifetime_videos,
    maintenance_state,
    monthly_rollups,
    session_totals,
    sessions,
    telemetry,
    videos,
)

__all__ = ["SESSION_ROWS", "SPECS", "KindSpec", "Parent", "event_from", "sample_from"]

Parent = Literal["video", "session"]
_Mapping = Any  # a row's ``_mapping``

_METADATA = ("file_size_bytes", "codec", "width_px", "height_px", "fps_x100", "bitrate_kbps")
_EVENT_TYPES = {int(t): t for t in EventType}
_STATUSES = {int(s): s for s in SessionStatus}
_LIFETIME = (*PERIOD_FIELDS, "active_days", "first_watched_ms", "last_watched_ms")
_ACTIVITY = ("sessions", "active_watched_ms", "cards_mined", "words_seen")


@dataclass(frozen=True)
class KindSpec:
    """How one record kind maps onto its table."""

    table: Table
    conflict: tuple[str, ...]  # the unique key a load skips existing rows by
    parent: Parent | None  # what ``parent_key`` names, resolved to ``video_id``/``session_id``
    parent_key: Callable[[Any], str] | None
    to_row: Callable[[Any, int | None], dict[str, Any]]  # (record, parent id) -> row
    query: Select[Any] | None  # the columns read, joined to the parent's public key
    order: tuple[ColumnElement[Any], ...]  # the natural key, in ``query``'s terms
    from_row: Callable[[_Mapping], Record] | None  # None: read per session (SESSION_ROWS)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a load writes (every column but an autoincremented ``id``)."""
        return tuple(c.name for c in self.table.c if not (c.name == "id" and c.autoincrement))


# ----------------------------------------------------------------- videos


def _video_row(video: Video, _: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "video_key": video.video_key,
        "title": video.title,
        "source_type": int(video.source_type),
        "source_path": video.source_path,
        "source_url": video.source_url,
        "duration_ms": video.duration_ms,
        "created_at_ms": video.created_at_ms,
        "updated_at_ms": video.updated_at_ms,
    }
    for name in _METADATA:
        row[name] = getattr(video.metadata, name)
    return row


def _video(m: _Mapping) -> Video:
    return Video(
        video_key=m["video_key"],
        title=m["title"],
        source_type=SourceType(m["source_type"]),
        source_path=m["source_path"],
        source_url=m["source_url"],
        duration_ms=m["duration_ms"],
        metadata=VideoMetadata(**{name: m[name] for name in _METADATA}),
        created_at_ms=m["created_at_ms"],
        updated_at_ms=m["updated_at_ms"],
    )


# ----------------------------------------------------------------- sessions


def _session_row(record: SessionRecord, video_id: int | None) -> dict[str, Any]:
    s = record.session
    row: dict[str, Any] = {
        "session_uuid": s.session_uuid,
        "video_id": video_id,
        "started_at_ms": s.started_at_ms,
        "ended_at_ms": s.ended_at_ms,
        "status": int(s.status),
        "local_day": day_number(s.local_day),
        "local_month": s.local_month,
        "local_hour": s.local_hour,
        "ended_media_ms": s.ended_media_ms,
        "last_sample_ms": s.last_sample_ms,
        "last_sample_seq": record.live_seq,
        "created_at_ms": s.started_at_ms,
        # the latest thing known to have happened to it (the column is never read back)
        "updated_at_ms": max(s.started_at_ms, s.ended_at_ms or 0, s.last_sample_ms or 0),
    }
    row.update(s.counters.as_dict())
    return row


def _session(m: _Mapping) -> SessionRecord:
    session = Session(
        session_uuid=m["session_uuid"],
        video_key=m["video_key"],
        started_at_ms=m["started_at_ms"],
        local_day=day_from_number(m["local_day"]),
        local_month=m["local_month"],
        local_hour=m["local_hour"],
        status=_STATUSES[m["status"]],
        ended_at_ms=m["ended_at_ms"],
        ended_media_ms=m["ended_media_ms"],
        counters=SessionCounters(**{name: m[name] for name in COUNTER_NAMES}),
        last_sample_ms=m["last_sample_ms"],
    )
    return SessionRecord(session, m["last_sample_seq"])


# ----------------------------------------------------------------- telemetry and events


def _sample_row(sample: TelemetrySample, session_id: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "session_id": session_id,
        "seq": sample.seq,
        "sample_ms": sample.sample_ms,
    }
    row.update(sample.counters.as_dict())
    return row


def sample_from(uuid: str, row: Any) -> TelemetrySample:
    """A sample from a row of ``SESSION_ROWS["telemetry"]`` (positional, without the frozen
    ``__init__``: exports read every sample)."""
    return new_sample(uuid, row[1], row[2], new_counters(*row[3:]))


def _event_row(event: TrackedEvent, session_id: int | None) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "seq": event.seq,
        "ts_ms": event.ts_ms,
        "event_type": int(event.event_type),
        "line_index": event.line_index,
        "segment_start_ms": event.segment_start_ms,
        "segment_end_ms": event.segment_end_ms,
        "words_delta": event.words_delta,
        "cards_delta": event.cards_delta,
        "payload_json": event.payload_json,
    }


def event_from(uuid: str, row: Any) -> TrackedEvent:
    """An event from a row of ``SESSION_ROWS["events"]`` (positional: fast)."""
    return new_event(
        uuid, row[1], row[2], _EVENT_TYPES[row[3]], row[4], row[5], row[6], row[7], row[8], row[9]
    )


# The columns read per session, ``session_id`` and ``seq`` first (see the converters above).
SESSION_ROWS: dict[str, tuple[Table, list[ColumnElement[Any]]]] = {
    "telemetry": (
        telemetry,
        [telemetry.c.session_id, telemetry.c.seq, telemetry.c.sample_ms]
        + [telemetry.c[name] for name in COUNTER_NAMES],
    ),
    "events": (events, [events.c[c.name] for c in events.c if c.name != "id"]),
}


# ----------------------------------------------------------------- ledger and rollups


def _totals(m: _Mapping, sessions_count: int | None = None) -> PeriodTotals:
    values = {name: int(m[name]) for name in LEDGER_COUNTERS}
    count = int(m["sessions"]) if sessions_count is None else sessions_count
    return PeriodTotals(sessions=count, **values)


def _ledger_row(entry: LedgerEntry, video_id: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "session_uuid": entry.session_uuid,
        "video_id": video_id,
        "started_at_ms": entry.started_at_ms,
        "ended_at_ms": entry.ended_at_ms,
        "local_day": entry.day_number,
        "local_month": entry.local_month,
        "local_hour": entry.local_hour,
        "local_weekday": entry.local_weekday,
        "lifetime_applied": int(entry.lifetime_applied),
    }
    for name in LEDGER_COUNTERS:
        row[name] = getattr(entry.totals, name)
    return row


def _ledger(m: _Mapping) -> LedgerEntry:
    return LedgerEntry(
        session_uuid=m["session_uuid"],
        video_key=m["video_key"],
        started_at_ms=m["started_at_ms"],
        ended_at_ms=m["ended_at_ms"],
        local_day=day_from_number(m["local_day"]),
        local_month=m["local_month"],
        local_hour=m["local_hour"],
        totals=_totals(m, sessions_count=1),
        lifetime_applied=bool(m["lifetime_applied"]),
    )


def _rollup_row(period: str) -> Callable[[RollupRecord, int | None], dict[str, Any]]:
    def to_row(record: RollupRecord, video_id: int | None) -> dict[str, Any]:
        return {period: record.period, "video_id": video_id, **record.totals.as_dict()}

    return to_row


def _rollup(period: str) -> Callable[[_Mapping], Record]:
    def from_row(m: _Mapping) -> Record:
        return RollupRecord(int(m[period]), m["video_key"], _totals(m))

    return from_row


# ----------------------------------------------------------------- lifetime, activity, state


def _lifetime_row(record: LifetimeRecord, video_id: int | None) -> dict[str, Any]:
    totals = record.totals
    row: dict[str, Any] = {
        **totals.totals.as_dict(),
        "active_days": totals.active_days,
        "first_watched_ms": totals.first_watched_ms,
        "last_watched_ms": totals.last_watched_ms,
    }
    if record.video_key is None:
        row.update(id=GLOBAL_LIFETIME_ID, last_started_ms=totals.last_started_ms)
    else:
        row["video_id"] = video_id
    return row


def _lifetime_totals(m: _Mapping, last_started_ms: int | None) -> LifetimeTotals:
    return LifetimeTotals(
        totals=_totals(m),
        active_days=int(m["active_days"]),
        first_watched_ms=m["first_watched_ms"],
        last_watched_ms=m["last_watched_ms"],
        last_started_ms=last_started_ms,
    )


def _lifetime_video(m: _Mapping) -> Record:
    return LifetimeRecord(m["video_key"], _lifetime_totals(m, None))


def _lifetime_global(m: _Mapping) -> Record:
    return LifetimeRecord(None, _lifetime_totals(m, m["last_started_ms"]))


def _activity_row(record: ActivityRecord, _: int | None) -> dict[str, Any]:
    activity = record.activity
    return {"local_day": day_number(record.local_day)} | {
        name: getattr(activity, name) for name in _ACTIVITY
    }


def _activity(m: _Mapping) -> Record:
    return ActivityRecord(
        day_from_number(m["local_day"]), DayActivity(**{name: int(m[name]) for name in _ACTIVITY})
    )


def _state_row(record: StateRecord, _: int | None) -> dict[str, Any]:
    return {"key": record.key, "value": record.value}


# ----------------------------------------------------------------- the specs


def _with_video_key(table: Table) -> Select[Any]:
    return select(videos.c.video_key, *table.c).join_from(
        table, videos, table.c.video_id == videos.c.id
    )


def _by_video(record: Any) -> str:
    return str(record.video_key)


def _own(table: Table, key: str, to_row: Any, from_row: Any, query: Any = None) -> KindSpec:
    """A kind that names no parent, keyed by one column of its own."""
    query = select(table) if query is None else query
    return KindSpec(table, (key,), None, None, to_row, query, (table.c[key],), from_row)


def _of_video(
    table: Table, conflict: tuple[str, ...], to_row: Any, order: Any, from_row: Any
) -> KindSpec:
    """A kind that names a video (read with its key joined in)."""
    return KindSpec(
        table, conflict, "video", _by_video, to_row, _with_video_key(table), order, from_row
    )


def _of_session(table: Table, to_row: Any) -> KindSpec:
    """Telemetry or events: read per session (``SESSION_ROWS``), keyed by (session, seq)."""
    uuid = attrgetter("session_uuid")
    return KindSpec(table, ("session_id", "seq"), "session", uuid, to_row, None, (), None)


SPECS: dict[RecordKind, KindSpec] = {
    "videos": _own(videos, "video_key", _video_row, _video),
    "sessions": KindSpec(
        sessions,
        ("session_uuid",),
        "video",
        lambda record: record.session.video_key,
        _session_row,
        _with_video_key(sessions),
        (sessions.c.session_uuid,),
        _session,
    ),
    "telemetry": _of_session(telemetry, _sample_row),
    "events": _of_session(events, _event_row),
    "ledger": _of_video(
        session_totals, ("session_uuid",), _ledger_row, (session_totals.c.session_uuid,), _ledger
    ),
    "daily_rollups": _of_video(
        daily_rollups,
        ("local_day", "video_id"),
        _rollup_row("local_day"),
        (daily_rollups.c.local_day, videos.c.video_key),
        _rollup("local_day"),
    ),
    "monthly_rollups": _of_video(
        monthly_rollups,
        ("local_month", "video_id"),
        _rollup_row("local_month"),
        (monthly_rollups.c.local_month, videos.c.video_key),
        _rollup("local_month"),
    ),
    "lifetime_videos": _of_video(
        lifetime_videos, ("video_id",), _lifetime_row, (videos.c.video_key,), _lifetime_video
    ),
    "lifetime_global": KindSpec(
        lifetime_global,
        ("id",),
        None,
        None,
        _lifetime_row,
        select(lifetime_global).where(lifetime_global.c.id == GLOBAL_LIFETIME_ID),
        (),
        _lifetime_global,
    ),
    "activity_days": _own(activity_days, "local_day", _activity_row, _activity),
    "state": _own(
        maintenance_state, "key", _state_row, lambda m: StateRecord(m["key"], m["value"])
    ),
}
