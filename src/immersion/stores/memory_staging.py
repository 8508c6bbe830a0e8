"""The staging overlay of ``MemoryStore.write_batch``: a batch changes nothing until it all
succeeded.

Rows are frozen dataclasses, so staging a change is a new row in an overlay dict; the store's
own dicts are untouched until ``commit``. Writes arrive already validated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from ..domain import Session, SessionStatus, TelemetrySample, TrackedEvent, Video, VideoMetadata
from ..errors import StoreIntegrityError
from ..writes import (
    FinalizeSession,
    RecordEvent,
    RecordSample,
    StartSession,
    UpdateVideoDuration,
    UpdateVideoTitle,
    UpsertVideo,
    Write,
)

__all__ = ["MemoryTables", "Staging"]

_Key = tuple[str, int]
_Row = TypeVar("_Row", TelemetrySample, TrackedEvent)
_T = TypeVar("_T")


@dataclass
class MemoryTables:
    """The raw data of a memory store (the analytics data lives in ``MemoryAnalytics``)."""

    videos: dict[str, Video]
    sessions: dict[str, Session]
    # seq of the sample the live counters of each session came from; kept apart from the
    # samples so that pruning telemetry never lets an older sample lower the counters.
    live_seq: dict[str, int]
    samples: dict[str, dict[int, TelemetrySample]]
    events: dict[str, dict[int, TrackedEvent]]


class Staging:
    """The changes of one batch over ``tables``, merged only by ``commit``."""

    def __init__(self, tables: MemoryTables) -> None:
        self._tables = tables
        self.videos: dict[str, Video] = {}
        self.sessions: dict[str, Session] = {}
        self.live_seq: dict[str, int] = {}
        self.samples: dict[_Key, TelemetrySample] = {}
        self.events: dict[_Key, TrackedEvent] = {}
        # each finalize's resulting session, in batch order (for the ledger, after commit)
        self.finalized: list[Session] = []

    def find_video(self, key: str) -> Video | None:
        return self.videos[key] if key in self.videos else self._tables.videos.get(key)

    def video(self, key: str) -> Video:
        found = self.find_video(key)
        if found is None:
            raise StoreIntegrityError(f"unknown video {key!r}")
        return found

    def session(self, uuid: str) -> Session:
        found = self.sessions[uuid] if uuid in self.sessions else self._tables.sessions.get(uuid)
        if found is None:
            raise StoreIntegrityError(f"unknown session {uuid!r}")
        return found

    def apply(self, write: Write) -> None:
        match write:
            case UpsertVideo(video=video):
                old = self.find_video(video.video_key)
                self.videos[video.video_key] = video if old is None else _merge_video(old, video)
            case UpdateVideoTitle(video_key=key, title=title, updated_at_ms=at):
                self.videos[key] = replace(self.video(key), title=title, updated_at_ms=at)
            case UpdateVideoDuration(video_key=key, duration_ms=duration, updated_at_ms=at):
                self.videos[key] = replace(self.video(key), duration_ms=duration, updated_at_ms=at)
            case StartSession():
                self._start(write)
            case RecordSample(sample=sample):
                self._sample(sample)
            case RecordEvent(event=event):
                self.session(event.session_uuid)
                event_key = (event.session_uuid, event.seq)
                if event_key not in self.events and not _stored(self._tables.events, event_key):
                    self.events[event_key] = event
            case FinalizeSession():
                session = self.session(write.session_uuid)
                last_sample_ms = write.last_sample_ms
                ended = replace(
                    session,
                    status=SessionStatus.ENDED,
                    ended_at_ms=write.ended_at_ms,
                    ended_media_ms=write.ended_media_ms,
                    counters=write.counters,
                    last_sample_ms=session.last_sample_ms
                    if last_sample_ms is None
                    else last_sample_ms,
                )
                self.sessions[write.session_uuid] = ended
                self.finalized.append(ended)

    def _start(self, write: StartSession) -> None:
        self.video(write.video_key)
        uuid = write.session_uuid
        if uuid in self.sessions or uuid in self._tables.sessions:
            return  # a replayed start: the first one stands
        self.sessions[uuid] = Session(
            session_uuid=uuid,
            video_key=write.video_key,
            started_at_ms=write.started_at_ms,
            local_day=write.local_day,
            local_month=write.local_month,
            local_hour=write.local_hour,
        )

    def _sample(self, sample: TelemetrySample) -> None:
        uuid = sample.session_uuid
        session = self.session(uuid)
        key = (uuid, sample.seq)
        if key in self.samples or _stored(self._tables.samples, key):
            return
        self.samples[key] = sample
        live_seq = self.live_seq.get(uuid, self._tables.live_seq.get(uuid, -1))
        if session.status is SessionStatus.ACTIVE and sample.seq > live_seq:
            self.live_seq[uuid] = sample.seq
            self.sessions[uuid] = replace(
                session, counters=sample.counters, last_sample_ms=sample.sample_ms
            )

    def commit(self) -> None:
        tables = self._tables
        tables.videos.update(self.videos)
        tables.sessions.update(self.sessions)
        tables.live_seq.update(self.live_seq)
        for (uuid, seq), sample in self.samples.items():
            tables.samples.setdefault(uuid, {})[seq] = sample
        for (uuid, seq), event in self.events.items():
            tables.events.setdefault(uuid, {})[seq] = event


def _stored(rows: dict[str, dict[int, _Row]], key: _Key) -> bool:
    return key[1] in rows.get(key[0], {})


def _merge_video(old: Video, new: Video) -> Video:
    """Upsert of an existing key: ``created_at_ms`` stays; title, source type and
    ``updated_at_ms`` take the new value; every optional field the new video leaves ``None``
    keeps its stored value (a re-opened video does not forget its probed duration)."""
    o, n = old.metadata, new.metadata
    return replace(
        new,
        created_at_ms=old.created_at_ms,
        source_path=_coalesce(new.source_path, old.source_path),
        source_url=_coalesce(new.source_url, old.source_url),
        duration_ms=_coalesce(new.duration_ms, old.duration_ms),
        metadata=VideoMetadata(
            file_size_bytes=_coalesce(n.file_size_bytes, o.file_size_bytes),
            codec=_coalesce(n.codec, o.codec),
            width_px=_coalesce(n.width_px, o.width_px),
            height_px=_coalesce(n.height_px, o.height_px),
            fps_x100=_coalesce(n.fps_x100, o.fps_x100),
            bitrate_kbps=_coalesce(n.bitrate_kbps, o.bitrate_kbps),
        ),
    )


def _coalesce(new: _T | None, old: _T | None) -> _T | None:
    return old if new is None else new
