"""Backend-agnostic domain model of immersion tracking.

Every store speaks these types; none of them knows about SQL. Public identifiers are the
session UUID (a string) and the video key (``local:<path>`` / ``remote:<url>``). Times are
integer epoch milliseconds; a session's local day and month are computed by the tracker in the
learner's time zone when the session starts and stored with it, so history never moves when the
machine's zone changes later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import IntEnum

__all__ = [
    "EPOCH_DAY",
    "EventType",
    "Session",
    "SessionCounters",
    "SessionStatus",
    "SourceType",
    "TelemetrySample",
    "TrackedEvent",
    "Video",
    "VideoMetadata",
    "day_from_number",
    "day_number",
    "month_key",
]

EPOCH_DAY = dt.date(1970, 1, 1)


class EventType(IntEnum):
    """Event kinds, numbered exactly as in SubMiner's schema (domain reference §2)."""

    SUBTITLE_LINE = 1
    MEDIA_BUFFER = 2
    LOOKUP = 3
    CARD_MINED = 4
    SEEK_FORWARD = 5
    SEEK_BACKWARD = 6
    PAUSE_START = 7
    PAUSE_END = 8
    DICTIONARY_LOOKUP = 9


class SourceType(IntEnum):
    LOCAL = 1
    REMOTE = 2


class SessionStatus(IntEnum):
    ACTIVE = 1
    ENDED = 2


@dataclass(frozen=True, slots=True)
class SessionCounters:
    """Cumulative counters of one session. A session's total is its latest snapshot."""

    total_watched_ms: int = 0
    active_watched_ms: int = 0
    lines_seen: int = 0
    words_seen: int = 0
    tokens_seen: int = 0
    cards_mined: int = 0
    lookup_count: int = 0
    lookup_hits: int = 0
    dictionary_lookups: int = 0
    pause_count: int = 0
    pause_ms: int = 0
    seek_forward_count: int = 0
    seek_backward_count: int = 0
    media_buffer_events: int = 0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Counter names in declaration order (also the column names in SQL stores)."""
        return COUNTER_NAMES

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTER_NAMES}

    def plus(self, other: SessionCounters) -> SessionCounters:
        return SessionCounters(
            **{name: getattr(self, name) + getattr(other, name) for name in COUNTER_NAMES}
        )


COUNTER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SessionCounters))


@dataclass(frozen=True, slots=True)
class VideoMetadata:
    """Optional technical metadata of a video (all fields may be unknown)."""

    file_size_bytes: int | None = None
    codec: str | None = None
    width_px: int | None = None
    height_px: int | None = None
    fps_x100: int | None = None
    bitrate_kbps: int | None = None


@dataclass(frozen=True, slots=True)
class Video:
    """One media item, identified by its stable ``video_key``."""

    video_key: str
    title: str
    source_type: SourceType
    source_path: str | None = None
    source_url: str | None = None
    duration_ms: int | None = None
    metadata: VideoMetadata = field(default_factory=VideoMetadata)
    created_at_ms: int = 0
    updated_at_ms: int = 0


@dataclass(frozen=True, slots=True)
class Session:
    """One continuous viewing of one video.

    ``local_day`` is the learner's local calendar day the session started on and
    ``local_month`` its ``YYYYMM`` month; ``local_hour`` (0-23) the local hour it started in.
    ``counters`` are the final counters once ended, else the latest known snapshot.
    """

    session_uuid: str
    video_key: str
    started_at_ms: int
    local_day: dt.date
    local_month: int
    local_hour: int
    status: SessionStatus = SessionStatus.ACTIVE
    ended_at_ms: int | None = None
    ended_media_ms: int | None = None
    counters: SessionCounters = field(default_factory=SessionCounters)
    last_sample_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TelemetrySample:
    """A cumulative snapshot of one session's counters at ``sample_ms``.

    ``seq`` is assigned by the tracker, increasing per session; ``(session_uuid, seq)`` is the
    sample's identity, which makes replayed batches idempotent.
    """

    session_uuid: str
    seq: int
    sample_ms: int
    counters: SessionCounters


@dataclass(frozen=True, slots=True)
class TrackedEvent:
    """One timestamped occurrence in a session.

    ``seq`` is assigned by the tracker, increasing per session and shared with nothing else;
    ``(session_uuid, seq)`` is the event's identity. ``payload_json`` is already capped.
    """

    session_uuid: str
    seq: int
    ts_ms: int
    event_type: EventType
    line_index: int | None = None
    segment_start_ms: int | None = None
    segment_end_ms: int | None = None
    words_delta: int = 0
    cards_delta: int = 0
    payload_json: str | None = None


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the integer stored for a local day)."""
    return (day - EPOCH_DAY).days


def day_from_number(number: int) -> dt.date:
    return EPOCH_DAY + dt.timedelta(days=number)


def month_key(month: int) -> str:
    """``202603`` -> ``"2026-03"``."""
    return f"{month // 100:04d}-{month % 100:02d}"
