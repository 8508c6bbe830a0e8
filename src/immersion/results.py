"""Query result shapes returned by every store (backend-agnostic; frozen, except the rows
that reads return by the hundred, ``SessionSummary`` and ``VideoStats``: see
``immersion.analytics`` for why).

Field names are a public contract: the CLI, the dashboard and embedding apps read them.
Times are epoch milliseconds; durations are milliseconds unless the name says ``_min``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .domain import SessionCounters

__all__ = [
    "MaintenanceReport",
    "Overview",
    "SchemaStatus",
    "SessionSummary",
    "StoreCapabilities",
    "VideoStats",
]


@dataclass(slots=True)  # a row of a large read: see the module docstring
class SessionSummary:
    """One session with its video's title and its final (or latest live) counters."""

    session_uuid: str
    video_key: str
    title: str
    started_at_ms: int
    ended_at_ms: int | None
    total_watched_ms: int
    active_watched_ms: int
    lines_seen: int
    words_seen: int
    tokens_seen: int
    cards_mined: int
    lookup_count: int
    lookup_hits: int
    dictionary_lookups: int
    pause_count: int
    pause_ms: int
    seek_forward_count: int
    seek_backward_count: int
    media_buffer_events: int
    ended_media_ms: int | None

    @property
    def active(self) -> bool:
        return self.ended_at_ms is None

    @classmethod
    def build(
        cls,
        *,
        session_uuid: str,
        video_key: str,
        title: str,
        started_at_ms: int,
        ended_at_ms: int | None,
        ended_media_ms: int | None,
        counters: SessionCounters,
    ) -> SessionSummary:
        return cls(
            session_uuid=session_uuid,
            video_key=video_key,
            title=title,
            started_at_ms=started_at_ms,
            ended_at_ms=ended_at_ms,
            ended_media_ms=ended_media_ms,
            **counters.as_dict(),
        )


@dataclass(slots=True)  # a row of a large read: see the module docstring
class VideoStats:
    """Per-video lifetime totals: every ended session ever (retention never lowers them)
    plus the live counters of the video's active sessions."""

    video_key: str
    title: str
    duration_ms: int | None
    sessions: int
    total_watched_ms: int
    active_watched_ms: int
    lines_seen: int
    words_seen: int
    tokens_seen: int
    cards_mined: int
    last_watched_ms: int | None
    # local days with active watch time on this video (ended sessions)
    active_days: int
    first_watched_ms: int | None  # earliest session start


@dataclass(frozen=True, slots=True)
class Overview:
    """Headline numbers: all-time totals (lifetime of ended sessions plus live active ones),
    today, and the streak. ``today_*`` are of the local day ``overview(today=...)`` names."""

    total_sessions: int
    active_sessions: int
    total_videos: int
    total_watched_ms: int
    active_watched_ms: int
    lines_seen: int
    words_seen: int
    tokens_seen: int
    cards_mined: int
    first_started_ms: int | None
    last_started_ms: int | None
    today_active_min: float
    today_cards: int
    current_streak_days: int
    longest_streak_days: int
    active_days: int
    all_time_hours: float


@dataclass(frozen=True, slots=True)
class StoreCapabilities:
    """What a store supports, declared up front instead of failing at call time.

    ``rollups``: ``update_rollups`` maintains daily/monthly rollups; ``retention``:
    ``prune`` deletes data older than the retention windows; ``compaction``: ``compact``
    reclaims space; ``durable``: data survives a restart of the process;
    ``concurrent_writers``: several processes may write at once; ``networked``: the data
    lives on a server that can become unreachable (the tracker then keeps writes in its
    durable outbox, see ``storage.outbox``).
    """

    rollups: bool
    retention: bool
    compaction: bool
    durable: bool
    concurrent_writers: bool
    networked: bool = False


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a store's schema stands relative to the code's migration history."""

    current_revision: str | None
    head_revision: str
    upgraded_from: str | None = None
    backup_path: str | None = None


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What one maintenance pass did.

    ``pruned``: rows deleted per kind (``events``, ``telemetry``, ``sessions``,
    ``daily_rollups``, ``monthly_rollups``, ``session_totals``); ``rollup_groups``:
    (period, video) rollup groups recomputed; ``stale_sessions_closed``: sessions left active
    by a crash that were ended;
    ``compacted``: whether the store was compacted in this pass.
    """

    started_at_ms: int
    duration_ms: int
    stale_sessions_closed: int
    rollup_groups: int
    pruned: dict[str, int]
    compacted: bool
