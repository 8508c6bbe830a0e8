"""The session and video reads in SQLAlchemy Core, identical on every SQL engine.

(The analytics reads, ``video_stats`` and ``overview`` among them, are the shared ones of
``immersion.stores.analytics_reads`` over ``sql.analytics``.)

Orderings are total (every ``ORDER BY`` ends in a unique key) so all engines and the
in-memory reference return the same rows in the same order. Counters are read from the session rows
(final, or live from the newest sample): reads never sum or search samples.

Each statement is built once at import, so SQLAlchemy compiles it once per dialect.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Integer, Row, bindparam, literal_column, select

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
from ...fast_init import new_counters, new_event, new_sample
from ...results import SessionSummary
from .fetch import DriverQuery
from .schema import EVENTS_IN_ORDER_INDEX, events, sessions, telemetry, videos

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


def _summary_column(name: str) -> Any:
    return videos.c[name] if name in {"video_key", "title"} else sessions.c[name]


# The newest sessions: first the start time of the ``limit``-th newest (an index walk), then
# the sessions from that time on in the full order. One statement ordered by
# ``started_at_ms DESC, session_uuid`` would mix directions, which MySQL/MariaDB cannot read
# from an ascending index: it would sort every session.
_NTH_START = (
    select(sessions.c.started_at_ms)
    .order_by(sessions.c.started_at_ms.desc())
    .limit(1)
    .offset(bindparam("p_skip"))
)
# In the field order of SessionSummary, by construction.
_SUMMARIES_FROM = (
    select(*(_summary_column(f.name) for f in fields(SessionSummary)))
    .join_from(sessions, videos, sessions.c.video_id == videos.c.id)
    .where(sessions.c.started_at_ms >= bindparam("p_from"))
    .order_by(sessions.c.started_at_ms.desc(), sessions.c.session_uuid)
    .limit(bindparam("p_limit"))
)
_SUMMARIES = DriverQuery(_SUMMARIES_FROM)
# One video's: the same two steps on (video_id, started_at_ms), the video's id looked up once
# by its key so that the planners walk that index.
_VIDEO_ID = select(videos.c.id).where(videos.c.video_key == bindparam("p_key")).scalar_subquery()
_NTH_START_OF_VIDEO = _NTH_START.where(sessions.c.video_id == _VIDEO_ID)
_SUMMARIES_OF_VIDEO = DriverQuery(_SUMMARIES_FROM.where(sessions.c.video_id == _VIDEO_ID))
# The session's id by its UUID, so that the planners read the (session_id, time, seq) index
# range already in order (PostgreSQL would otherwise join and sort).
_SESSION_ID = (
    select(sessions.c.id).where(sessions.c.session_uuid == bindparam("p_uuid")).scalar_subquery()
)

_TIMELINE = (
    select(telemetry.c.seq, telemetry.c.sample_ms, *(telemetry.c[n] for n in COUNTER_NAMES))
    .where(telemetry.c.session_id == _SESSION_ID)
    .order_by(telemetry.c.sample_ms.desc(), telemetry.c.seq.desc())
)
_TIMELINE_ALL = DriverQuery(_TIMELINE)
_TIMELINE_LIMITED = DriverQuery(_TIMELINE.limit(bindparam("p_limit")))

# In the field order of TrackedEvent after session_uuid, by construction.
_EVENTS = (
    select(*(events.c[f.name] for f in fields(TrackedEvent)[1:]))
    .where(events.c.session_id == _SESSION_ID)
    .order_by(events.c.ts_ms, events.c.seq)
    .limit(bindparam("p_limit"))
)
_EVENTS_ALL = DriverQuery(_EVENTS)


# MariaDB walks the session's range of this index for the order either way, but tests the
# type on the index entries (index condition pushdown) only when the index is forced; without
# the hint it looks up each row first (a session's lines, or its cards and lookups: p50
# 4.4 -> 1.6 ms, p95 7.3 -> 3.6 ms at 1M events).
_MYSQL_HINT = f"FORCE INDEX ({EVENTS_IN_ORDER_INDEX})"


@functools.lru_cache(maxsize=64)
def _events_of_types(types: tuple[int, ...]) -> DriverQuery:
    """``_EVENTS`` of these event types. The types are written into the statement as
    integer literals (``int()`` of the types: never text), so it has no
    expanding ``IN`` and its rows come straight from the driver; one statement per set of
    types, and there are few sets."""
    listed = [literal_column(str(int(t)), Integer) for t in types]
    return DriverQuery(
        _EVENTS.where(events.c.event_type.in_(listed)).with_hint(events, _MYSQL_HINT, "mysql")
    )


_EVENT_TYPES = {int(t): t for t in EventType}
# the lowest stored time, for "fewer sessions than the limit"
_LOWEST_MS = -(2**63)


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


def session_summaries(
    connection: Connection, limit: int, video_key: str | None
) -> list[SessionSummary]:
    """The newest ``limit`` (> 0) sessions, of ``video_key`` when given; see
    ``ImmersionTrackingStore``."""
    params: dict[str, Any] = {"p_skip": limit - 1, "p_limit": limit}
    if video_key is None:
        nth, rows = _NTH_START, _SUMMARIES
    else:
        nth, rows = _NTH_START_OF_VIDEO, _SUMMARIES_OF_VIDEO
        params["p_key"] = video_key
    oldest = connection.scalar(nth, params)
    params["p_from"] = _LOWEST_MS if oldest is None else oldest
    return [SessionSummary(*row) for row in rows.rows(connection, params)]


def session_timeline(
    connection: Connection, session_uuid: str, limit: int | None
) -> list[TelemetrySample]:
    if limit is None:
        rows = _TIMELINE_ALL.rows(connection, {"p_uuid": session_uuid})
    else:
        rows = _TIMELINE_LIMITED.rows(connection, {"p_uuid": session_uuid, "p_limit": limit})
    # built without the frozen __init__ (see fast_init)
    return [new_sample(session_uuid, row[0], row[1], new_counters(*row[2:])) for row in rows]


def session_events(
    connection: Connection,
    session_uuid: str,
    limit: int,
    event_types: Collection[EventType] | None,
) -> list[TrackedEvent]:
    params: dict[str, Any] = {"p_uuid": session_uuid, "p_limit": limit}
    rows: Iterable[Any]
    if event_types is None:
        rows = _EVENTS_ALL.rows(connection, params)
    else:
        types = tuple(sorted({int(t) for t in event_types}))
        rows = _events_of_types(types).rows(connection, params) if types else []
    known = _EVENT_TYPES
    return [
        new_event(
            session_uuid, seq, ts, known.get(kind) or EventType(kind), line, a, b, w, c, payload
        )
        for seq, ts, kind, line, a, b, w, c, payload in rows
    ]
