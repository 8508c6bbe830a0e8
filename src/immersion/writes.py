"""The writes a tracker hands to a store, batched by the pipeline.

Each write is a small frozen value; ``ImmersionTrackingStore.write_batch`` applies a sequence
of them atomically and idempotently (replaying a batch stores nothing twice):

- ``UpsertVideo``: insert the video, or update title/duration/metadata of an existing key.
- ``StartSession``: insert the session unless its UUID exists (then: no-op).
- ``RecordSample``: insert a telemetry sample unless ``(session_uuid, seq)`` exists, and raise
  the session's live counters to it when it is the newest sample of an active session.
- ``RecordEvent``: insert an event unless ``(session_uuid, seq)`` exists.
- ``FinalizeSession``: end the session with its final counters (repeatable; same result).
- ``UpdateVideoTitle`` / ``UpdateVideoDuration``: change one field of an existing video.

A write naming a video or session that does not exist is an integrity error
(``StoreIntegrityError``): the pipeline isolates and dead-letters it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .domain import SessionCounters, TelemetrySample, TrackedEvent, Video

__all__ = [
    "FinalizeSession",
    "RecordEvent",
    "RecordSample",
    "StartSession",
    "UpdateVideoDuration",
    "UpdateVideoTitle",
    "UpsertVideo",
    "Write",
    "is_session_boundary",
]


@dataclass(frozen=True, slots=True)
class UpsertVideo:
    video: Video


@dataclass(frozen=True, slots=True)
class UpdateVideoTitle:
    video_key: str
    title: str
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class UpdateVideoDuration:
    video_key: str
    duration_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class StartSession:
    session_uuid: str
    video_key: str
    started_at_ms: int
    local_day: dt.date
    local_month: int
    local_hour: int


@dataclass(frozen=True, slots=True)
class RecordSample:
    sample: TelemetrySample


@dataclass(frozen=True, slots=True)
class RecordEvent:
    event: TrackedEvent


@dataclass(frozen=True, slots=True)
class FinalizeSession:
    session_uuid: str
    ended_at_ms: int
    counters: SessionCounters
    ended_media_ms: int | None = None
    last_sample_ms: int | None = None


Write = (
    UpsertVideo
    | UpdateVideoTitle
    | UpdateVideoDuration
    | StartSession
    | RecordSample
    | RecordEvent
    | FinalizeSession
)


def is_session_boundary(write: Write) -> bool:
    """Writes that overflow never drops: without them a session's history is wrong."""
    return isinstance(write, UpsertVideo | StartSession | FinalizeSession)
