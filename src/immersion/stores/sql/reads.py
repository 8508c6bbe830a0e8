"""The session and video reads in SQLAlchemy Core, identical on every SQL engine.

(The analytics reads, ``video_stats`` and ``overview`` among them, are the shared ones of
``immersion.stores.analytics_reads`` over ``sql.analytics``.)

Orderings are total (every ``ORDER BY`` ends in a unique key) so all engines and the
in-memory reference return the same rows in the same order. Counters are read from the session rows
(final, or live from the newest sample): reads never sum or search samples.

Each statement is built once at import, so SQLAlchemy compiles it once per dialect.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

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
)
from ...results import SessionSummary
from .schema import events, sessions, telemetry, videos

__all__ = [
    "get_session",
    "get_video",
    "session_events",
    "session_summaries",
    "session_timeline",
]

_SESSION_COLUMNS = [c for c in sessions.c if c.name not in {"id", "video_id"}]

_GET_VIDEO = select(videos).where(videos.c.video_key == bindparam("p_key"))

_GET_SESSION = (
    select(videos.c.video_key, *_SESSION_COLUMNS)
    .join_from(sessions, videos, sessions.c.video_id == videos.c.id)
    .where(sessions.c.session_uuid == bindparam("p_uuid"))
)

_SUMMARIES = (
    select(videos.c.video_key, videos.c.title, *_SESSION_COLUMNS)
    .join_from(sessions, videos, sessions.c.video_id == videos.c.id)
    .order_by(sessions.c.started_at_ms.desc(), sessions.c.session_uuid)
    .limit(bindparam("p_limit"))
)

_TIMELINE = (
    select(telemetry.c.seq, telemetry.c.sample_ms, *(telemetry.c[n] for n in COUNTER_NAMES))
    .join_from(telemetry, sessions, telemetry.c.session_id == sessions.c.id)
    .where(sessions.c.session_uuid == bindparam("p_uuid"))
    .order_by(telemetry.c.sample_ms.desc(), telemetry.c.seq.desc())
)
_TIMELINE_LIMITED = _TIMELINE.limit(bindparam("p_limit"))

_EVENT_COLUMNS = [c for c in events.c if c.name not in {"id", "session_id"}]
_EVENTS = (
    select(*_EVENT_COLUMNS)
    .join_from(events, sessions, events.c.session_id == sessions.c.id)
    .where(sessions.c.session_uuid == bindparam("p_uuid"))
    .order_by(events.c.ts_ms, events.c.seq)
    .limit(bindparam("p_limit"))
)
_EVENTS_OF_TYPES = _EVENTS.where(events.c.event_type.in_(bindparam("p_types", expanding=True)))


def _counters(row: Row[Any]) -> SessionCounters:
    mapping = row._mapping
    return SessionCounters(**{name: int(mapping[name]) for name in COUNTER_NAMES})


def get_video(connection: Connection, video_key: str) -> Video | None:
    row = connection.execute(_GET_VIDEO, {"p_key": video_key}).first()
    if row is None:
        return None
    m = row._mapping
    return Video(
        video_key=m["video_key"],
        title=m["title"],
        source_type=SourceType(m["source_type"]),
        source_path=m["source_path"],
        source_url=m["source_url"],
        duration_ms=m["duration_ms"],
        metadata=VideoMetadata(
            file_size_bytes=m["file_size_bytes"],
            codec=m["codec"],
            width_px=m["width_px"],
            height_px=m["height_px"],
            fps_x100=m["fps_x100"],
            bitrate_kbps=m["bitrate_kbps"],
        ),
        created_at_ms=m["created_at_ms"],
        updated_at_ms=m["updated_at_ms"],
    )


def get_session(connection: Connection, session_uuid: str) -> Session | None:
    row = connection.execute(_GET_SESSION, {"p_uuid": session_uuid}).first()
    if row is None:
        return None
    m = row._mapping
    return Session(
        session_uuid=m["session_uuid"],
        video_key=m["video_key"],
        started_at_ms=m["started_at_ms"],
        local_day=day_from_number(m["local_day"]),
        local_month=m["local_month"],
        local_hour=m["local_hour"],
        status=SessionStatus(m["status"]),
        ended_at_ms=m["ended_at_ms"],
        ended_media_ms=m["ended_media_ms"],
        counters=_counters(row),
        last_sample_ms=m["last_sample_ms"],
    )


def session_summaries(connection: Connection, limit: int) -> list[SessionSummary]:
    """The newest ``limit`` (> 0) sessions; see ``ImmersionTrackingStore``."""
    rows = connection.execute(_SUMMARIES, {"p_limit": limit})
    return [
        SessionSummary.build(
            session_uuid=row.session_uuid,
            video_key=row.video_key,
            title=row.title,
            started_at_ms=row.started_at_ms,
            ended_at_ms=row.ended_at_ms,
            ended_media_ms=row.ended_media_ms,
            counters=_counters(row),
        )
        for row in rows
    ]


def session_timeline(
    connection: Connection, session_uuid: str, limit: int | None
) -> list[TelemetrySample]:
    if limit is None:
        rows = connection.execute(_TIMELINE, {"p_uuid": session_uuid})
    else:
        rows = connection.execute(_TIMELINE_LIMITED, {"p_uuid": session_uuid, "p_limit": limit})
    return [TelemetrySample(session_uuid, row.seq, row.sample_ms, _counters(row)) for row in rows]


def session_events(
    connection: Connection,
    session_uuid: str,
    limit: int,
    event_types: Collection[EventType] | None,
) -> list[TrackedEvent]:
    params: dict[str, Any] = {"p_uuid": session_uuid, "p_limit": limit}
    if event_types is None:
        rows = connection.execute(_EVENTS, params)
    else:
        params["p_types"] = sorted({int(t) for t in event_types})
        rows = connection.execute(_EVENTS_OF_TYPES, params)
    return [
        TrackedEvent(
            session_uuid=session_uuid,
            seq=row.seq,
            ts_ms=row.ts_ms,
            event_type=EventType(row.event_type),
            line_index=row.line_index,
            segment_start_ms=row.segment_start_ms,
            segment_end_ms=row.segment_end_ms,
            words_delta=row.words_delta,
            cards_delta=row.cards_delta,
            payload_json=row.payload_json,
        )
        for row in rows
    ]
