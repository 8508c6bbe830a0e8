"""``ImmersionTrackingStore``: the one interface between tracking and persistence.

The docstrings here are the contract. Every store (memory, SQLite, PostgreSQL, MySQL, third
party) passes the shared contract suite in ``tests/contract`` with identical results. SQL lives
only in the store adapters; callers see the domain types of ``immersion.domain`` and the
result types of ``immersion.results``.

Threading: a store instance is used by one thread at a time for writes (the tracker's worker)
and may be read from other threads; SQL stores use a connection pool for that.

Errors: stores raise only the ``immersion.errors.StoreError`` tree. ``TransientStoreError``
means "retry later" (locked, connection lost); ``PermanentStoreError`` means "this data or
call will never succeed" (``StoreIntegrityError`` for a write naming an unknown session or
video).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .domain import EventType, Session, TelemetrySample, TrackedEvent, Video
from .results import (
    Overview,
    SchemaStatus,
    SessionSummary,
    StoreCapabilities,
    VideoStats,
)
from .writes import Write

__all__ = ["ImmersionTrackingStore", "PruneCutoffs"]


@dataclass(frozen=True, slots=True)
class PruneCutoffs:
    """Delete rows strictly older than these bounds; ``None`` keeps that kind forever.

    Raw data is bounded by epoch ms (events by ``ts_ms``, telemetry by ``sample_ms``, ended
    sessions by ``ended_at_ms``); rollups by local day / ``YYYYMM`` month.
    """

    events_before_ms: int | None
    telemetry_before_ms: int | None
    sessions_before_ms: int | None
    daily_before_day: dt.date | None
    monthly_before_month: int | None


@runtime_checkable
class ImmersionTrackingStore(Protocol):
    """Persistence of videos, sessions, telemetry and events, plus the analytics reads."""

    # ----------------------------------------------------------------- lifecycle

    @property
    def capabilities(self) -> StoreCapabilities:
        """What this store supports (rollups, retention, compaction, durability, ...)."""
        ...

    def create_or_upgrade_schema(self) -> SchemaStatus:
        """Create the schema on an empty database, or upgrade an older one to the head.

        Raises ``SchemaTooNewError`` when the database carries a revision this code does not
        know (written by a newer version): it is never touched then. Idempotent.
        """
        ...

    def close(self) -> None:
        """Release connections and files. Idempotent; the store is unusable afterwards."""
        ...

    # ----------------------------------------------------------------- writes

    def write_batch(self, writes: Sequence[Write]) -> None:
        """Apply ``writes`` in order, in one transaction: all of them or none.

        Idempotent: applying the same batch again (e.g. after a lost acknowledgement) stores
        nothing twice. Video upserts update title, duration and metadata of an existing key;
        session starts are ignored for an existing UUID; samples and events are identified by
        ``(session_uuid, seq)`` and ignored when present; a finalize sets the final state
        (repeating it gives the same state). A sample also raises the session's live counters
        when its ``seq`` is the highest seen for an active session, so reads never need to sum
        or search samples.

        Raises ``StoreIntegrityError`` (nothing applied) when a write names a video or session
        that neither the database nor an earlier write of the batch created, or carries
        invalid values (negative counters, empty keys); ``TransientStoreError`` when the
        database is locked or unreachable.
        """
        ...

    # ----------------------------------------------------------------- maintenance

    def close_stale_sessions(self, last_activity_before_ms: int) -> int:
        """End active sessions with no activity since ``last_activity_before_ms``.

        Activity is the latest telemetry sample (or the start when there is none). Such a
        session is ended at its last sample time with the counters of that sample. Returns
        how many sessions were closed.
        """
        ...

    def prune(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        """Delete data older than ``cutoffs``; return rows deleted per kind.

        Keys: ``events``, ``telemetry``, ``sessions``, ``daily_rollups``,
        ``monthly_rollups``. Active sessions are never pruned. Only meaningful when
        ``capabilities.retention``.
        """
        ...

    def compact(self) -> None:
        """Reclaim space and refresh planner statistics (VACUUM and friends).

        Only meaningful when ``capabilities.compaction``; a no-op otherwise.
        """
        ...

    def get_state(self, key: str) -> str | None:
        """Read a persisted maintenance value (e.g. the last compaction time)."""
        ...

    def set_state(self, key: str, value: str) -> None:
        """Persist a maintenance value; survives a restart on durable stores."""
        ...

    # ----------------------------------------------------------------- lookups

    def get_video(self, video_key: str) -> Video | None:
        """The video with this key, or ``None``."""
        ...

    def get_session(self, session_uuid: str) -> Session | None:
        """The session with this UUID (counters final or latest live), or ``None``."""
        ...

    # ----------------------------------------------------------------- reads

    def session_summaries(self, limit: int = 50) -> list[SessionSummary]:
        """The latest ``limit`` sessions, newest start first (ties: UUID ascending).

        Counters are the finalized session's, or for an active session its latest sample's
        (never a sum of cumulative samples). ``ended_at_ms`` is ``None`` while active.
        """
        ...

    def session_timeline(
        self, session_uuid: str, limit: int | None = None
    ) -> list[TelemetrySample]:
        """Telemetry samples of one session, newest first (``sample_ms`` then ``seq``
        descending), at most ``limit``; ``[]`` for an unknown session."""
        ...

    def session_events(
        self,
        session_uuid: str,
        limit: int = 500,
        event_types: Collection[EventType] | None = None,
    ) -> list[TrackedEvent]:
        """Events of one session, oldest first (``ts_ms`` then ``seq``), at most ``limit``,
        only of ``event_types`` when given; ``[]`` for an unknown session."""
        ...

    def video_stats(self, video_key: str | None = None) -> list[VideoStats]:
        """Per-video totals: every video (most recently watched first, never-watched last,
        ties by key), or only ``video_key`` (``[]`` when unknown)."""
        ...

    def overview(self) -> Overview:
        """Headline totals over every session and video the store holds."""
        ...
