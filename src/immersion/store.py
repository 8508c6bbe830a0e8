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
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .analytics import (
    DEFAULT_TOP_VIDEOS,
    CalendarDay,
    DailyRollup,
    MonthlyRollup,
    Streak,
    Throughput,
    Trends,
)
from .domain import EventType, Session, TelemetrySample, TrackedEvent, Video
from .records import Record, RecordKey, RecordKind
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
    sessions by ``ended_at_ms``); rollups by local day / ``YYYYMM`` month; the per-session
    ledger only by both rollup bounds (see ``ImmersionTrackingStore.prune``).
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

    def schema_status(self) -> SchemaStatus:
        """Where the schema stands, read-only: never creates or upgrades anything.

        ``current_revision`` is the revision stamped in the database (``None`` when it has
        none; one written by a newer version is returned as is); ``head_revision`` is the
        newest this code knows. Raises ``StoreError`` when the database cannot be reached or
        read (``immersion doctor``'s connection check).
        """
        ...

    def storage_size_bytes(self) -> int | None:
        """How much space the data takes (files, or tables and indexes on a server), or
        ``None`` when the store cannot tell (in memory). Read-only."""
        ...

    def close(self) -> None:
        """Release connections and files. Idempotent; the store is unusable afterwards."""
        ...

    # ----------------------------------------------------------------- writes

    def write_batch(self, writes: Sequence[Write]) -> None:
        """Apply ``writes`` in order, in one transaction: all of them or none.

        Idempotent: applying the same batch again (e.g. after a lost acknowledgement) stores
        nothing twice. Per write:

        - ``UpsertVideo`` inserts the video, or for an existing key replaces ``title``,
          ``source_type`` and ``updated_at_ms``, keeps ``created_at_ms``, and replaces each of
          ``source_path``, ``source_url``, ``duration_ms`` and every metadata field only when
          the new value is not ``None`` (a re-opened video keeps its probed duration).
        - ``UpdateVideoTitle`` / ``UpdateVideoDuration`` set that field and ``updated_at_ms``.
        - ``StartSession`` inserts an ACTIVE session with zero counters; ignored for an existing
          UUID (the first start stands, whatever the replay says).
        - ``RecordSample`` / ``RecordEvent`` are identified by ``(session_uuid, seq)`` and
          ignored when present (the first stored version stands). A sample also becomes the
          session's live state (``counters`` and ``last_sample_ms``) when the session is ACTIVE
          and its ``seq`` is greater than that of the sample the live state came from, so reads
          never sum or search samples. A sample for an ENDED session is stored but changes
          nothing on the session; events of an ENDED session are stored as usual.
        - ``FinalizeSession`` sets status ENDED, ``ended_at_ms``, the final ``counters`` and
          ``ended_media_ms`` as given, and ``last_sample_ms`` when given (``None`` keeps the
          current value). Repeating it gives the same state; a later finalize overwrites.

        Raises ``StoreIntegrityError`` (nothing applied) when a write names a video or session
        that neither the database nor an earlier write of the batch created, or carries an
        invalid value: an empty ``video_key`` or ``session_uuid``, or one longer than 768 or
        36 characters (code points) respectively; an integer field (counters, times, ``seq``,
        durations, deltas, sizes) that is not an ``int`` from 0 to ``2**63-1``; an unknown
        event or source type; ``local_hour`` outside 0-23 or ``local_month`` not a ``YYYYMM``
        month; a string with a lone surrogate or a NUL character (no engine may silently alter
        text). ``immersion.stores.validation.validate_write`` is exactly these value checks.
        ``TransientStoreError`` when the database is locked or unreachable.
        """
        ...

    # ----------------------------------------------------------------- maintenance

    def close_stale_sessions(self, last_activity_before_ms: int) -> int:
        """End active sessions with no activity since ``last_activity_before_ms``.

        A session's last activity is its ``last_sample_ms`` (the live state's sample), or its
        ``started_at_ms`` when it has none; it is stale when that is strictly less than the
        bound. A stale session becomes ENDED with ``ended_at_ms`` = its last activity, its
        live counters as final counters (zero without samples) and ``ended_media_ms`` left
        ``None``. Returns how many sessions were closed.
        """
        ...

    def prune(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        """Delete data older than ``cutoffs``; return rows deleted per kind.

        Keys, always all present: ``events``, ``telemetry``, ``sessions``, ``daily_rollups``,
        ``monthly_rollups``, ``session_totals``. Events with ``ts_ms`` < ``events_before_ms``
        and samples with ``sample_ms`` < ``telemetry_before_ms`` are deleted whatever their
        session's status; ENDED sessions with ``ended_at_ms`` < ``sessions_before_ms`` are
        deleted together with all their samples and events (counted under ``telemetry`` and
        ``events``). Active sessions are never pruned; videos are never pruned; deleting
        samples never changes a session's counters. Each row is counted once.

        Daily rollups with ``day`` < ``daily_before_day`` and monthly rollups with month <
        ``monthly_before_month`` are deleted, with any pending recompute of those periods;
        a rollup inside its window is never changed. A session's ledger entry (its final
        counters, see ``update_rollups``) is deleted only when both its day and its month are
        before their bounds (never when either bound is ``None``), so every rollup that is
        kept can still be recomputed. Lifetime totals and day activity are never pruned.
        Only meaningful when ``capabilities.retention``.
        """
        ...

    def update_rollups(self) -> int:
        """Bring rollups and lifetime totals up to date; return the rollup groups recomputed.

        Every store keeps, per ENDED session, a ledger entry of its final counters and its
        local day, month, hour and weekday (from the stored ``local_day``, never from epoch
        ms). Finalizing a session (in ``write_batch``, or by ``close_stale_sessions``) writes
        its entry, marks its (day, video) and (month, video) rollup groups for recompute and
        adds it to the lifetime totals and day activity exactly once (a later finalize with
        other counters adds the difference; a replayed one changes nothing); the marked groups
        are recomputed before that call returns, so rollup reads are always fresh.

        This recomputes any groups still marked (e.g. after an import or a schema upgrade) and
        applies any ledger entry not yet in the lifetime totals. A recompute replaces the
        group's row with the sum of its ledger entries (no row when it has none); it never
        reads raw events or telemetry and never rebuilds unmarked groups. Idempotent: a second
        call returns 0 and changes nothing. Only meaningful when ``capabilities.rollups``.
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

    # ----------------------------------------------------------------- bulk transfer
    #
    # The streaming, batched path of ``immersion migrate``, ``export`` and ``import``: every
    # kind of stored data as portable records (``immersion.records``: public keys, never
    # surrogate ids), read in a stable order and loaded idempotently.

    def iter_records(
        self, kind: RecordKind, *, after: RecordKey | None = None, batch_size: int = 5000
    ) -> Iterator[list[Record]]:
        """Every record of ``kind``, in ascending natural-key order, as lists of at most
        ``batch_size`` (>= 1; ``ValueError`` otherwise) records, none of them empty.

        ``after``: start strictly after this natural key (the last key of a batch already
        handled: resuming). The kinds, their record types and keys are listed in
        ``immersion.records``. Reads are consistent per batch, not across batches: rows
        written meanwhile may or may not appear. Read-only (works on a read-only store).
        ``ValueError`` for an unknown kind.
        """
        ...

    def count_records(self, kind: RecordKind) -> int:
        """How many records ``iter_records(kind)`` would yield now. Read-only."""
        ...

    def load_records(self, kind: RecordKind, records: Sequence[Record]) -> int:
        """Insert ``records`` of ``kind`` in one transaction: all of them or none.

        Insert-or-ignore by natural key: a record whose key is already stored (or appears
        earlier in ``records``) is skipped, the stored row stays as it is. Returns how many
        records were inserted. Records are stored exactly as given: loading a session does
        not create ledger entries or rollups, loading samples does not move a session's live
        counters, loading a ledger entry with ``lifetime_applied`` false leaves it for
        ``update_rollups`` to add to the lifetime totals (which also recomputes its rollup
        groups), and loading lifetime totals or rollups copies them as they are.

        Raises ``StoreIntegrityError`` (nothing stored) when a record carries an invalid
        value (``stores.record_validation.check_records``: the rules of ``write_batch``), is
        not of ``kind``'s record type, or names a video (sessions, ledger, rollups, lifetime)
        or a session (telemetry, events) that is not stored; ``PermanentStoreError`` on a
        read-only store; ``ValueError`` for an unknown kind.
        """
        ...

    # ----------------------------------------------------------------- lookups

    def get_video(self, video_key: str) -> Video | None:
        """The video with this key, or ``None``."""
        ...

    def get_session(self, session_uuid: str) -> Session | None:
        """The session with this UUID (counters final or latest live), or ``None``."""
        ...

    # ----------------------------------------------------------------- reads

    def session_summaries(
        self, limit: int = 50, video_key: str | None = None
    ) -> list[SessionSummary]:
        """The latest ``limit`` sessions, newest start first (ties: UUID ascending), only
        the sessions of ``video_key`` when given (``[]`` for an unknown video).

        Counters are the finalized session's, or for an active session its latest sample's
        (never a sum of cumulative samples). ``ended_at_ms`` is ``None`` while active.
        ``title`` is the video's current title. ``limit`` <= 0 gives ``[]``. String order is
        code point order everywhere (SQL stores use a binary / ``"C"`` collation).
        """
        ...

    def session_timeline(
        self, session_uuid: str, limit: int | None = None
    ) -> list[TelemetrySample]:
        """Telemetry samples of one session, newest first (``sample_ms`` then ``seq``
        descending), at most ``limit`` (``None``: all; <= 0: none); ``[]`` for an unknown
        session. Samples that arrived after the session ended are included."""
        ...

    def session_events(
        self,
        session_uuid: str,
        limit: int = 500,
        event_types: Collection[EventType] | None = None,
    ) -> list[TrackedEvent]:
        """Events of one session, oldest first (``ts_ms`` then ``seq`` ascending), at most
        ``limit`` (<= 0: none), only of ``event_types`` when given (an empty collection
        matches nothing; the filter applies before the limit); ``[]`` for an unknown
        session. ``event_type`` is always an ``EventType``."""
        ...

    def video_stats(self, video_key: str | None = None) -> list[VideoStats]:
        """Per-video totals: every video, or only ``video_key`` (``[]`` when unknown).

        Lifetime totals of the video's ended sessions (never lowered by pruning) plus the
        live counters of its active sessions: ``sessions`` counts both; the counter fields
        sum both; ``last_watched_ms`` is the latest ``ended_at_ms`` of its ended sessions or,
        for an active one, its ``last_sample_ms``, else ``started_at_ms`` (``None`` without
        sessions); ``first_watched_ms`` the earliest ``started_at_ms``; ``active_days`` the
        local days with active watch time of its ended sessions. ``title`` and
        ``duration_ms`` are the video's. Order: ``last_watched_ms`` descending, videos
        without sessions last, ties by ``video_key`` ascending.
        """
        ...

    def overview(self, today: dt.date | None = None) -> Overview:
        """Headline numbers; ``today`` defaults to today in the store's time zone.

        All-time fields are lifetime totals of ended sessions (never lowered by pruning)
        plus the live counters of ACTIVE sessions: ``total_sessions`` counts both,
        ``active_sessions`` the active ones; ``total_videos``: videos held, watched or not;
        ``first_started_ms`` / ``last_started_ms``: earliest / latest session start
        (``None`` without sessions); ``all_time_hours``: ``active_watched_ms`` in hours,
        rounded to 3 decimals. ``today_active_min`` / ``today_cards``: sessions whose local
        day is ``today`` (ended ones from the ledger, active ones live).
        ``current_streak_days``, ``longest_streak_days``, ``active_days``: as ``streak``.
        """
        ...

    # ----------------------------------------------------------------- analytics reads
    #
    # Local days and months are the ones stored with each session when it started (in the
    # learner's zone at the time), never derived from epoch ms by the store. Only ENDED
    # sessions count unless a docstring says otherwise. Minutes and ratios follow
    # ``immersion.analytics`` (minutes rounded to 3 decimals from integer milliseconds,
    # ratios to 4, ``None`` for an empty denominator). ``today=None``: today in the store's
    # time zone by the system clock.

    def daily_rollups(
        self, limit_days: int = 60, video_key: str | None = None
    ) -> list[DailyRollup]:
        """Rollup rows per (local day, video) of the newest ``limit_days`` days that have
        rows (days, not rows; only ``video_key``'s rows when given), newest day first, then
        ``video_key`` ascending. A session counts entirely on the day it started. Kept for
        the daily retention window, whatever happened to raw data. ``limit_days`` <= 0: ``[]``.
        """
        ...

    def monthly_rollups(
        self, limit_months: int = 24, video_key: str | None = None
    ) -> list[MonthlyRollup]:
        """As ``daily_rollups``, per (local ``"YYYY-MM"`` month, video), newest month first;
        ratios are computed on read from the month's sums."""
        ...

    def throughput(
        self, range: str = "30d", group_by: str = "day", today: dt.date | None = None
    ) -> Throughput:
        """Reading speed and mining rate over the ledger's sessions with a local day in
        ``[start, today]``: ``range`` is one of ``7d``, ``30d``, ``90d``, ``365d`` (that many
        days ending ``today``) or ``all`` (from the first ledger day); ``group_by`` is ``day``
        or ``month``. ``buckets``: every bucket of the range, oldest first, zero-filled (ratios
        ``None`` when empty); ``overall``: the whole range, keyed ``"<start>/<today>"`` (ISO
        dates). ``ValueError`` listing the valid values for an unknown range or grouping.
        """
        ...

    def streak(self, today: dt.date | None = None) -> Streak:
        """Streak over the local days with active watch time of ended sessions (kept
        forever, so ``longest_days`` survives rollup retention): ``current_days`` counts back
        from ``today`` when it has activity, else from the day before; ``active_days``: all
        such days ever."""
        ...

    def streak_calendar(self, days: int = 90, today: dt.date | None = None) -> list[CalendarDay]:
        """Active minutes of ended sessions per local day for the ``days`` days ending
        ``today``, oldest first, every day present (zero-filled); ``days`` <= 0: ``[]``."""
        ...

    def trends(
        self,
        range: str = "30d",
        group_by: str = "day",
        today: dt.date | None = None,
        top_videos: int | None = DEFAULT_TOP_VIDEOS,
    ) -> Trends:
        """Everything a trends chart needs over the ledger's sessions with a local day in
        ``[start, today]`` (``range`` / ``group_by`` and errors as ``throughput``):
        ``activity`` per bucket (zero-filled, oldest first), ``cumulative`` running totals of
        it, ``ratios`` per bucket, ``by_weekday`` (7, Monday first) and ``by_hour`` (24)
        active minutes by each session's local start weekday / hour, ``videos``: the
        ``top_videos`` videos of the range (all when ``None``; ``ValueError`` when negative)
        by active time descending, ties by ``video_key``, and ``video_count``: how many
        videos the range has in all."""
        ...
