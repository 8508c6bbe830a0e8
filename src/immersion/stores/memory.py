"""``MemoryStore``: the in-memory reference implementation of ``ImmersionTrackingStore``.

It is a real store, not a mock: it passes the shared contract suite and is the model every
other backend is compared against, so it follows the docstrings of ``immersion.store``
literally. Nothing survives the process (``capabilities.durable`` is false).

A batch is applied to a staging overlay first and merged into the live data only when every
write of it succeeded, so a failing batch changes nothing. One lock guards all data: writes
come from the tracker's worker thread, reads may come from any thread.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import TypeVar

from ..config import TrackerConfig
from ..domain import (
    EventType,
    Session,
    SessionCounters,
    SessionStatus,
    TelemetrySample,
    TrackedEvent,
    Video,
    VideoMetadata,
)
from ..errors import PermanentStoreError, StoreIntegrityError
from ..results import Overview, SchemaStatus, SessionSummary, StoreCapabilities, VideoStats
from ..store import PruneCutoffs
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
from .validation import validate_write

__all__ = ["MEMORY_REVISION", "MemoryStore", "from_config"]

# The memory store has no migration history; it reports itself as always at its own head.
MEMORY_REVISION = "memory"

_CAPABILITIES = StoreCapabilities(
    rollups=False, retention=True, compaction=False, durable=False, concurrent_writers=False
)

_Key = tuple[str, int]
_Row = TypeVar("_Row", TelemetrySample, TrackedEvent)
_T = TypeVar("_T")


class MemoryStore:
    """Videos, sessions, telemetry and events held in dictionaries, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._videos: dict[str, Video] = {}
        self._sessions: dict[str, Session] = {}
        # seq of the sample the live counters of each session came from; kept apart from the
        # samples so that pruning telemetry never lets an older sample lower the counters.
        self._live_seq: dict[str, int] = {}
        self._samples: dict[str, dict[int, TelemetrySample]] = {}
        self._events: dict[str, dict[int, TrackedEvent]] = {}
        self._state: dict[str, str] = {}

    # ----------------------------------------------------------------- lifecycle

    @property
    def capabilities(self) -> StoreCapabilities:
        return _CAPABILITIES

    def create_or_upgrade_schema(self) -> SchemaStatus:
        return SchemaStatus(current_revision=MEMORY_REVISION, head_revision=MEMORY_REVISION)

    def close(self) -> None:
        """Refuse further changes. Reads keep answering, so a test can still inspect what a
        closed tracker stored (the data lives only as long as this object anyway)."""
        with self._lock:
            self._closed = True

    def _check_open(self) -> None:
        """Called with the lock held by every method that changes data."""
        if self._closed:
            raise PermanentStoreError("the memory store is closed")

    # ----------------------------------------------------------------- writes

    def write_batch(self, writes: Sequence[Write]) -> None:
        with self._lock:
            self._check_open()
            staged = _Staging(self)
            for index, write in enumerate(writes):
                try:
                    staged.apply(validate_write(write))
                except StoreIntegrityError as exc:
                    raise StoreIntegrityError(
                        f"write {index} ({type(write).__name__}) of the batch: {exc}"
                    ) from None
            staged.commit()

    # ----------------------------------------------------------------- maintenance

    def close_stale_sessions(self, last_activity_before_ms: int) -> int:
        closed = 0
        with self._lock:
            self._check_open()
            for uuid, session in list(self._sessions.items()):
                if session.status is not SessionStatus.ACTIVE:
                    continue
                last_activity = _last_activity_ms(session)
                if last_activity < last_activity_before_ms:
                    self._sessions[uuid] = replace(
                        session, status=SessionStatus.ENDED, ended_at_ms=last_activity
                    )
                    closed += 1
        return closed

    def prune(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        deleted = dict.fromkeys(
            ("events", "telemetry", "sessions", "daily_rollups", "monthly_rollups"), 0
        )
        with self._lock:
            self._check_open()
            if cutoffs.sessions_before_ms is not None:
                for uuid, session in list(self._sessions.items()):
                    ended = session.ended_at_ms
                    if ended is not None and ended < cutoffs.sessions_before_ms:
                        # Only ended sessions carry ended_at_ms: active ones are never pruned.
                        del self._sessions[uuid]
                        self._live_seq.pop(uuid, None)
                        deleted["sessions"] += 1
                        deleted["telemetry"] += len(self._samples.pop(uuid, {}))
                        deleted["events"] += len(self._events.pop(uuid, {}))
            if cutoffs.telemetry_before_ms is not None:
                bound = cutoffs.telemetry_before_ms
                for samples in self._samples.values():
                    old = [seq for seq, s in samples.items() if s.sample_ms < bound]
                    for seq in old:
                        del samples[seq]
                    deleted["telemetry"] += len(old)
            if cutoffs.events_before_ms is not None:
                bound = cutoffs.events_before_ms
                for events in self._events.values():
                    old = [seq for seq, e in events.items() if e.ts_ms < bound]
                    for seq in old:
                        del events[seq]
                    deleted["events"] += len(old)
        return deleted

    def compact(self) -> None:
        """Nothing to reclaim in memory (``capabilities.compaction`` is false)."""

    def get_state(self, key: str) -> str | None:
        with self._lock:
            return self._state.get(key)

    def set_state(self, key: str, value: str) -> None:
        with self._lock:
            self._check_open()
            self._state[key] = value

    # ----------------------------------------------------------------- lookups

    def get_video(self, video_key: str) -> Video | None:
        with self._lock:
            return self._videos.get(video_key)

    def get_session(self, session_uuid: str) -> Session | None:
        with self._lock:
            return self._sessions.get(session_uuid)

    # ----------------------------------------------------------------- reads

    def session_summaries(self, limit: int = 50) -> list[SessionSummary]:
        if limit <= 0:
            return []
        with self._lock:
            ordered = sorted(
                self._sessions.values(), key=lambda s: (-s.started_at_ms, s.session_uuid)
            )[:limit]
            return [
                SessionSummary.build(
                    session_uuid=s.session_uuid,
                    video_key=s.video_key,
                    title=self._videos[s.video_key].title,
                    started_at_ms=s.started_at_ms,
                    ended_at_ms=s.ended_at_ms,
                    ended_media_ms=s.ended_media_ms,
                    counters=s.counters,
                )
                for s in ordered
            ]

    def session_timeline(
        self, session_uuid: str, limit: int | None = None
    ) -> list[TelemetrySample]:
        if limit is not None and limit <= 0:
            return []
        with self._lock:
            samples = list(self._samples.get(session_uuid, {}).values())
        samples.sort(key=lambda s: (s.sample_ms, s.seq), reverse=True)
        return samples if limit is None else samples[:limit]

    def session_events(
        self,
        session_uuid: str,
        limit: int = 500,
        event_types: Collection[EventType] | None = None,
    ) -> list[TrackedEvent]:
        if limit <= 0:
            return []
        wanted = None if event_types is None else {int(t) for t in event_types}
        with self._lock:
            events = [
                e
                for e in self._events.get(session_uuid, {}).values()
                if wanted is None or int(e.event_type) in wanted
            ]
        events.sort(key=lambda e: (e.ts_ms, e.seq))
        return events[:limit]

    def video_stats(self, video_key: str | None = None) -> list[VideoStats]:
        with self._lock:
            if video_key is None:
                videos = list(self._videos.values())
            else:
                video = self._videos.get(video_key)
                videos = [] if video is None else [video]
            by_video: dict[str, list[Session]] = {v.video_key: [] for v in videos}
            for session in self._sessions.values():
                if session.video_key in by_video:
                    by_video[session.video_key].append(session)
        stats = [_video_stats(video, by_video[video.video_key]) for video in videos]
        # Most recently watched first, never-watched last, ties by key (code point order).
        stats.sort(
            key=lambda s: (s.last_watched_ms is None, -(s.last_watched_ms or 0), s.video_key)
        )
        return stats

    def overview(self) -> Overview:
        with self._lock:
            sessions = list(self._sessions.values())
            total_videos = len(self._videos)
        totals = _sum_counters(sessions)
        starts = [s.started_at_ms for s in sessions]
        return Overview(
            total_sessions=len(sessions),
            active_sessions=sum(1 for s in sessions if s.status is SessionStatus.ACTIVE),
            total_videos=total_videos,
            total_watched_ms=totals.total_watched_ms,
            active_watched_ms=totals.active_watched_ms,
            lines_seen=totals.lines_seen,
            words_seen=totals.words_seen,
            tokens_seen=totals.tokens_seen,
            cards_mined=totals.cards_mined,
            first_started_ms=min(starts, default=None),
            last_started_ms=max(starts, default=None),
        )


def from_config(config: TrackerConfig) -> MemoryStore:
    """The registry's factory for ``storage.provider = "memory"`` (it takes no options)."""
    del config  # nothing to configure: every memory store starts empty
    return MemoryStore()


class _Staging:
    """The changes of one batch, applied over the store's data and merged only on success.

    Rows are frozen dataclasses, so staging a change is a new row in an overlay dict; the
    store's own dicts are untouched until ``commit``. Writes arrive already validated.
    """

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.videos: dict[str, Video] = {}
        self.sessions: dict[str, Session] = {}
        self.live_seq: dict[str, int] = {}
        self.samples: dict[_Key, TelemetrySample] = {}
        self.events: dict[_Key, TrackedEvent] = {}

    def find_video(self, key: str) -> Video | None:
        return self.videos[key] if key in self.videos else self._store._videos.get(key)

    def video(self, key: str) -> Video:
        found = self.find_video(key)
        if found is None:
            raise StoreIntegrityError(f"unknown video {key!r}")
        return found

    def session(self, uuid: str) -> Session:
        found = self.sessions[uuid] if uuid in self.sessions else self._store._sessions.get(uuid)
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
                if event_key not in self.events and not self._stored(
                    self._store._events, event_key
                ):
                    self.events[event_key] = event
            case FinalizeSession():
                session = self.session(write.session_uuid)
                last_sample_ms = write.last_sample_ms
                self.sessions[write.session_uuid] = replace(
                    session,
                    status=SessionStatus.ENDED,
                    ended_at_ms=write.ended_at_ms,
                    ended_media_ms=write.ended_media_ms,
                    counters=write.counters,
                    last_sample_ms=session.last_sample_ms
                    if last_sample_ms is None
                    else last_sample_ms,
                )

    @staticmethod
    def _stored(rows: dict[str, dict[int, _Row]], key: _Key) -> bool:
        return key[1] in rows.get(key[0], {})

    def _start(self, write: StartSession) -> None:
        self.video(write.video_key)
        uuid = write.session_uuid
        if uuid in self.sessions or uuid in self._store._sessions:
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
        if key in self.samples or self._stored(self._store._samples, key):
            return
        self.samples[key] = sample
        live_seq = self.live_seq.get(uuid, self._store._live_seq.get(uuid, -1))
        if session.status is SessionStatus.ACTIVE and sample.seq > live_seq:
            self.live_seq[uuid] = sample.seq
            self.sessions[uuid] = replace(
                session, counters=sample.counters, last_sample_ms=sample.sample_ms
            )

    def commit(self) -> None:
        store = self._store
        store._videos.update(self.videos)
        store._sessions.update(self.sessions)
        store._live_seq.update(self.live_seq)
        for (uuid, seq), sample in self.samples.items():
            store._samples.setdefault(uuid, {})[seq] = sample
        for (uuid, seq), event in self.events.items():
            store._events.setdefault(uuid, {})[seq] = event


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


# --------------------------------------------------------------------- read helpers


def _last_activity_ms(session: Session) -> int:
    return session.started_at_ms if session.last_sample_ms is None else session.last_sample_ms


def _last_watched_ms(session: Session) -> int:
    """``ended_at_ms``, else the last sample time, else the start."""
    if session.ended_at_ms is not None:
        return session.ended_at_ms
    return _last_activity_ms(session)


def _sum_counters(sessions: Sequence[Session]) -> SessionCounters:
    total = SessionCounters()
    for session in sessions:
        total = total.plus(session.counters)
    return total


def _video_stats(video: Video, sessions: Sequence[Session]) -> VideoStats:
    totals = _sum_counters(sessions)
    return VideoStats(
        video_key=video.video_key,
        title=video.title,
        duration_ms=video.duration_ms,
        sessions=len(sessions),
        total_watched_ms=totals.total_watched_ms,
        active_watched_ms=totals.active_watched_ms,
        lines_seen=totals.lines_seen,
        words_seen=totals.words_seen,
        tokens_seen=totals.tokens_seen,
        cards_mined=totals.cards_mined,
        last_watched_ms=max((_last_watched_ms(s) for s in sessions), default=None),
    )
