"""Short builders for the writes of the contract suite, so each test reads as a story."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from immersion.domain import (
    EventType,
    SessionCounters,
    SourceType,
    TelemetrySample,
    TrackedEvent,
    Video,
    VideoMetadata,
)
from immersion.store import ImmersionTrackingStore, PruneCutoffs
from immersion.writes import (
    FinalizeSession,
    RecordEvent,
    RecordSample,
    StartSession,
    UpsertVideo,
    Write,
)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

EP1 = "local:/anime/show/ep01.mkv"
EP2 = "local:/anime/show/ep02.mkv"
STREAM = "remote:https://media.example/stream/42"


def counters(**values: int) -> SessionCounters:
    return SessionCounters(**values)


def make_video(
    key: str = EP1,
    title: str = "Episode 1",
    *,
    duration_ms: int | None = None,
    at_ms: int = T0,
    metadata: VideoMetadata | None = None,
    source_path: str | None = None,
    source_url: str | None = None,
) -> UpsertVideo:
    remote = key.startswith("remote:")
    return UpsertVideo(
        Video(
            video_key=key,
            title=title,
            source_type=SourceType.REMOTE if remote else SourceType.LOCAL,
            source_path=source_path,
            source_url=source_url,
            duration_ms=duration_ms,
            metadata=metadata or VideoMetadata(),
            created_at_ms=at_ms,
            updated_at_ms=at_ms,
        )
    )


def start(uuid: str, video_key: str = EP1, started_at_ms: int = T0) -> StartSession:
    """A session start; local day/month/hour are taken in UTC."""
    moment = dt.datetime.fromtimestamp(started_at_ms / 1000, tz=dt.UTC)
    return StartSession(
        session_uuid=uuid,
        video_key=video_key,
        started_at_ms=started_at_ms,
        local_day=moment.date(),
        local_month=moment.year * 100 + moment.month,
        local_hour=moment.hour,
    )


def sample(uuid: str, seq: int, sample_ms: int, **values: int) -> RecordSample:
    return RecordSample(TelemetrySample(uuid, seq, sample_ms, SessionCounters(**values)))


def event(
    uuid: str,
    seq: int,
    ts_ms: int,
    event_type: EventType = EventType.SUBTITLE_LINE,
    **fields: object,
) -> RecordEvent:
    return RecordEvent(TrackedEvent(uuid, seq, ts_ms, event_type, **fields))  # type: ignore[arg-type]


def finalize(
    uuid: str,
    ended_at_ms: int,
    *,
    ended_media_ms: int | None = None,
    last_sample_ms: int | None = None,
    **values: int,
) -> FinalizeSession:
    return FinalizeSession(
        uuid, ended_at_ms, SessionCounters(**values), ended_media_ms, last_sample_ms
    )


def open_session(
    store: ImmersionTrackingStore,
    uuid: str = "s1",
    video_key: str = EP1,
    started_at_ms: int = T0,
) -> None:
    """Store a video (titled after its file name) and start one session on it."""
    title = video_key.rsplit("/", 1)[-1]
    store.write_batch([make_video(video_key, title), start(uuid, video_key, started_at_ms)])


def write(store: ImmersionTrackingStore, *writes: Write) -> None:
    store.write_batch(list(writes))


def cutoffs(
    *,
    events: int | None = None,
    telemetry: int | None = None,
    sessions: int | None = None,
) -> PruneCutoffs:
    return PruneCutoffs(events, telemetry, sessions, None, None)


def requires(store: ImmersionTrackingStore, capability: str) -> None:
    """Skip the calling test on a store that does not declare ``capability``."""
    if not getattr(store.capabilities, capability):
        pytest.skip(f"{type(store).__name__} does not support {capability}")


def uuids(rows: Sequence[object]) -> list[str]:
    return [row.session_uuid for row in rows]  # type: ignore[attr-defined]
