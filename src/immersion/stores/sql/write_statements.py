"""``WriteStatements``: every statement of ``write_batch``, built once per store so
SQLAlchemy's compiled cache is hit (``writes.BatchWriter`` applies them)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, or_, select, update

from ...domain import COUNTER_NAMES, SessionStatus, TrackedEvent
from .bulk import DriverBatch
from .hooks import StatementHooks
from .rollups import RollupStatements
from .schema import events, sessions, telemetry, videos

__all__ = ["EVENT_KEYS", "METADATA_FIELDS", "SAMPLE_KEYS", "WriteStatements"]

METADATA_FIELDS = ("file_size_bytes", "codec", "width_px", "height_px", "fps_x100", "bitrate_kbps")
# An upsert of an existing key keeps the stored value of these when the new one is unknown.
_KEEP_WHEN_UNKNOWN = ("source_path", "source_url", "duration_ms", *METADATA_FIELDS)

# The columns of the rows of the driver-level inserts, in order.
SAMPLE_KEYS = ("session_id", "seq", "sample_ms", *COUNTER_NAMES)
# an event's columns are its TrackedEvent fields, the session as its integer id
EVENT_KEYS = ("session_id", *(f.name for f in fields(TrackedEvent)[1:]))
_LIVE_KEYS = ("p_id", "p_active", "p_seq", "p_ms", *(f"p_{name}" for name in COUNTER_NAMES))


class WriteStatements:
    """Every write statement, built once per store so SQLAlchemy's compiled cache is hit."""

    def __init__(self, hooks: StatementHooks) -> None:
        def keep_unknown(incoming: Any) -> dict[str, Any]:
            clause: dict[str, Any] = {
                "title": incoming.title,
                "source_type": incoming.source_type,
                "updated_at_ms": incoming.updated_at_ms,
            }
            for name in _KEEP_WHEN_UNKNOWN:
                clause[name] = func.coalesce(getattr(incoming, name), videos.c[name])
            return clause

        self.upsert_video = hooks.upsert(videos, ["video_key"], keep_unknown)
        self.insert_session = hooks.insert_ignore(sessions, ["session_uuid"])
        self.insert_sample = DriverBatch(
            hooks.insert_ignore(telemetry, ["session_id", "seq"]), SAMPLE_KEYS
        )
        self.insert_event = DriverBatch(
            hooks.insert_ignore(events, ["session_id", "seq"]), EVENT_KEYS
        )
        counters: dict[str, Any] = {name: bindparam(f"p_{name}") for name in COUNTER_NAMES}
        raise_live = (
            update(sessions)
            .where(
                sessions.c.id == bindparam("p_id"),
                sessions.c.status == bindparam("p_active"),
                or_(
                    sessions.c.last_sample_seq.is_(None),
                    sessions.c.last_sample_seq < bindparam("p_seq"),
                ),
            )
            .values(
                last_sample_seq=bindparam("p_seq"),
                last_sample_ms=bindparam("p_ms"),
                updated_at_ms=bindparam("p_ms"),
                **counters,
            )
        )
        self.raise_live = DriverBatch(raise_live, _LIVE_KEYS)
        self.finalize = (
            update(sessions)
            .where(sessions.c.id == bindparam("p_id"))
            .values(
                status=int(SessionStatus.ENDED),
                ended_at_ms=bindparam("p_ended"),
                ended_media_ms=bindparam("p_media"),
                # typed: a NULL parameter inside COALESCE needs one on PostgreSQL
                last_sample_ms=func.coalesce(
                    bindparam("p_last", type_=BigInteger), sessions.c.last_sample_ms
                ),
                updated_at_ms=bindparam("p_ended"),
                **counters,
            )
        )
        self.video_title = (
            update(videos)
            .where(videos.c.id == bindparam("p_id"))
            .values(title=bindparam("p_title"), updated_at_ms=bindparam("p_at"))
        )
        self.video_duration = (
            update(videos)
            .where(videos.c.id == bindparam("p_id"))
            .values(duration_ms=bindparam("p_duration"), updated_at_ms=bindparam("p_at"))
        )
        self.video_id = select(videos.c.id).where(videos.c.video_key == bindparam("p_key"))
        self.session_id = select(sessions.c.id).where(
            sessions.c.session_uuid == bindparam("p_uuid")
        )
        self.session_ids = select(sessions.c.session_uuid, sessions.c.id).where(
            sessions.c.session_uuid.in_(bindparam("p_uuids", expanding=True))
        )
        self.rollups = RollupStatements(hooks)
