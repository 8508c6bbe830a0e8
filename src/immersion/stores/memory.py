"""``MemoryStore``: the in-memory reference implementation of ``ImmersionTrackingStore``.

It is a real store, not a mock: it passes the shared contract suite and is the model every
other backend is compared against, so it follows the docstrings of ``immersion.store``
literally. Nothing survives the process (``capabilities.durable`` is false).

A batch is applied to a staging overlay first (``memory_staging``) and merged into the live
data only when every write of it succeeded, so a failing batch changes nothing; the ledger,
rollups and lifetime totals (``memory_analytics``) are updated after the merge, which cannot
fail. One lock guards all data: writes come from the tracker's worker thread, reads may come
from any thread. The analytics reads are the shared ones of ``analytics_reads``.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from ..config import TrackerConfig
from ..domain import EventType, Session, SessionStatus, TelemetrySample, TrackedEvent, Video
from ..errors import PermanentStoreError, StoreIntegrityError
from ..localtime import zone_named
from ..records import Record, RecordKey, RecordKind, check_kind
from ..results import SchemaStatus, SessionSummary, StoreCapabilities
from ..store import PruneCutoffs
from ..writes import Write
from .analytics_reads import AnalyticsReads, AnalyticsSource
from .memory_analytics import MemoryAnalytics, MemorySource
from .memory_bulk import MemoryBulk
from .memory_staging import MemoryTables, Staging
from .record_validation import check_records
from .validation import validate_write

__all__ = ["MEMORY_REVISION", "MemoryStore", "from_config"]

# The memory store has no migration history; it reports itself as always at its own head.
MEMORY_REVISION = "memory"

_CAPABILITIES = StoreCapabilities(
    rollups=True, retention=True, compaction=False, durable=False, concurrent_writers=False
)


class MemoryStore(AnalyticsReads):
    """Videos, sessions, telemetry, events and the analytics tables held in dictionaries,
    guarded by one lock. ``timezone``: the IANA zone that ``today=None`` is taken in
    (``None``: the system's local zone)."""

    def __init__(self, *, timezone: str | None = None) -> None:
        self._zone = zone_named(timezone)
        self._lock = threading.Lock()
        self._closed = False
        self._tables = MemoryTables(videos={}, sessions={}, live_seq={}, samples={}, events={})
        self._analytics_data = MemoryAnalytics()
        self._state: dict[str, str] = {}
        self._bulk = MemoryBulk(self._tables, self._analytics_data, self._state)

    # ----------------------------------------------------------------- lifecycle

    @property
    def capabilities(self) -> StoreCapabilities:
        return _CAPABILITIES

    def create_or_upgrade_schema(self) -> SchemaStatus:
        return SchemaStatus(current_revision=MEMORY_REVISION, head_revision=MEMORY_REVISION)

    def schema_status(self) -> SchemaStatus:
        return SchemaStatus(current_revision=MEMORY_REVISION, head_revision=MEMORY_REVISION)

    def storage_size_bytes(self) -> int | None:
        """Unknown: the data lives in Python objects, not in files."""
        return None

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
            staged = Staging(self._tables)
            for index, write in enumerate(writes):
                try:
                    staged.apply(validate_write(write))
                except StoreIntegrityError as exc:
                    raise StoreIntegrityError(
                        f"write {index} ({type(write).__name__}) of the batch: {exc}"
                    ) from None
            staged.commit()
            if staged.finalized:
                for session in staged.finalized:
                    self._analytics_data.session_ended(session)
                self._analytics_data.recompute_dirty()

    # ----------------------------------------------------------------- maintenance

    def close_stale_sessions(self, last_activity_before_ms: int) -> int:
        closed = 0
        with self._lock:
            self._check_open()
            sessions = self._tables.sessions
            for uuid, session in list(sessions.items()):
                if session.status is not SessionStatus.ACTIVE:
                    continue
                last_activity = _last_activity_ms(session)
                if last_activity < last_activity_before_ms:
                    ended = replace(session, status=SessionStatus.ENDED, ended_at_ms=last_activity)
                    sessions[uuid] = ended
                    self._analytics_data.session_ended(ended)
                    closed += 1
            self._analytics_data.recompute_dirty()
        return closed

    def update_rollups(self) -> int:
        with self._lock:
            self._check_open()
            self._analytics_data.apply_pending()
            return self._analytics_data.recompute_dirty()

    def prune(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        deleted = dict.fromkeys(("events", "telemetry", "sessions"), 0)
        with self._lock:
            self._check_open()
            tables = self._tables
            if cutoffs.sessions_before_ms is not None:
                for uuid, session in list(tables.sessions.items()):
                    ended = session.ended_at_ms
                    if ended is not None and ended < cutoffs.sessions_before_ms:
                        # Only ended sessions carry ended_at_ms: active ones are never pruned.
                        del tables.sessions[uuid]
                        tables.live_seq.pop(uuid, None)
                        deleted["sessions"] += 1
                        deleted["telemetry"] += len(tables.samples.pop(uuid, {}))
                        deleted["events"] += len(tables.events.pop(uuid, {}))
            if cutoffs.telemetry_before_ms is not None:
                bound = cutoffs.telemetry_before_ms
                for samples in tables.samples.values():
                    old = [seq for seq, s in samples.items() if s.sample_ms < bound]
                    for seq in old:
                        del samples[seq]
                    deleted["telemetry"] += len(old)
            if cutoffs.events_before_ms is not None:
                bound = cutoffs.events_before_ms
                for events in tables.events.values():
                    old = [seq for seq, e in events.items() if e.ts_ms < bound]
                    for seq in old:
                        del events[seq]
                    deleted["events"] += len(old)
            deleted.update(self._analytics_data.prune(cutoffs))
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

    # ----------------------------------------------------------------- bulk transfer

    def iter_records(
        self, kind: RecordKind, *, after: RecordKey | None = None, batch_size: int = 5000
    ) -> Iterator[list[Record]]:
        checked = check_kind(kind)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        with self._lock:
            records = self._bulk.snapshot(checked, after)
        return (records[i : i + batch_size] for i in range(0, len(records), batch_size))

    def count_records(self, kind: RecordKind) -> int:
        checked = check_kind(kind)
        with self._lock:
            return self._bulk.count(checked)

    def load_records(self, kind: RecordKind, records: Sequence[Record]) -> int:
        checked = check_kind(kind)
        valid = check_records(checked, records)
        with self._lock:
            self._check_open()
            return self._bulk.load(checked, valid)

    # ----------------------------------------------------------------- lookups

    def get_video(self, video_key: str) -> Video | None:
        with self._lock:
            return self._tables.videos.get(video_key)

    def get_session(self, session_uuid: str) -> Session | None:
        with self._lock:
            return self._tables.sessions.get(session_uuid)

    # ----------------------------------------------------------------- reads

    def session_summaries(
        self, limit: int = 50, video_key: str | None = None
    ) -> list[SessionSummary]:
        if limit <= 0:
            return []
        with self._lock:
            videos = self._tables.videos
            chosen = [
                s
                for s in self._tables.sessions.values()
                if video_key is None or s.video_key == video_key
            ]
            ordered = sorted(chosen, key=lambda s: (-s.started_at_ms, s.session_uuid))[:limit]
            return [
                SessionSummary.build(
                    session_uuid=s.session_uuid,
                    video_key=s.video_key,
                    title=videos[s.video_key].title,
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
            samples = list(self._tables.samples.get(session_uuid, {}).values())
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
                for e in self._tables.events.get(session_uuid, {}).values()
                if wanted is None or int(e.event_type) in wanted
            ]
        events.sort(key=lambda e: (e.ts_ms, e.seq))
        return events[:limit]

    @contextmanager
    def _analytics(self, operation: str) -> Iterator[AnalyticsSource]:
        del operation  # named in the SQL stores' error messages; nothing fails here
        with self._lock:
            yield MemorySource(self._tables, self._analytics_data)


def from_config(config: TrackerConfig) -> MemoryStore:
    """The registry's factory for ``storage.provider = "memory"``: no storage options; the
    configured ``timezone`` is the one ``today`` is taken in."""
    return MemoryStore(timezone=config.timezone)


def _last_activity_ms(session: Session) -> int:
    return session.started_at_ms if session.last_sample_ms is None else session.last_sample_ms
