"""Ledger, rollups, lifetime totals and day activity of ``MemoryStore``, as dictionaries.

The same data and the same rules as the SQL tables of revision 0002 (see
``immersion.stores.ledger``): finalizing a session writes its ledger entry, marks its day and
month groups dirty and applies it to the lifetime totals once; ``recompute_dirty`` rebuilds
only the dirty rollup groups from their ledger entries. ``MemorySource`` answers the read
primitives of ``immersion.stores.analytics_reads``.

Not thread-safe on its own: ``MemoryStore`` calls everything here with its lock held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..analytics import PeriodTotals
from ..domain import Session, SessionStatus, day_number
from ..store import PruneCutoffs
from .analytics_reads import LedgerPeriod, LiveSession, RollupKind
from .analytics_rows import (
    EMPTY_SUMS,
    GROUP_FIRST,
    GROUP_PERIOD,
    GROUP_WEEKDAY,
    Row,
    sums_of,
)
from .ledger import (
    DAY_KIND,
    MONTH_KIND,
    DayActivity,
    LedgerEntry,
    LifetimeTotals,
    lifetime_change,
)
from .memory_staging import MemoryTables

__all__ = ["MemoryAnalytics", "MemorySource"]

_Group = tuple[int, int, str]  # (kind, period, video_key)


class MemoryAnalytics:
    """The analytics tables of a memory store."""

    def __init__(self) -> None:
        self.ledger: dict[str, LedgerEntry] = {}
        # (video_key, local_day) -> session UUIDs: the "(video_id, local_day)" index
        self.by_video_day: dict[tuple[str, dt.date], set[str]] = {}
        self.daily: dict[tuple[int, str], PeriodTotals] = {}  # (day number, video_key)
        self.monthly: dict[tuple[int, str], PeriodTotals] = {}  # (YYYYMM, video_key)
        self.dirty: set[_Group] = set()
        self.lifetime_videos: dict[str, LifetimeTotals] = {}
        self.lifetime_global = LifetimeTotals()
        self.activity: dict[dt.date, DayActivity] = {}

    # ----------------------------------------------------------------- writes

    def session_ended(self, session: Session) -> None:
        """Record the final counters of an ENDED session (first finalize or a later one)."""
        self._apply(LedgerEntry.of_session(session))

    def _apply(self, new: LedgerEntry) -> None:
        uuid = new.session_uuid
        old = self.ledger.get(uuid)
        if old is not None and old.lifetime_applied and old.same_final(new):
            return  # a replayed finalize
        index = (new.video_key, new.local_day)
        others = sum(
            self.ledger[other].totals.active_watched_ms
            for other in self.by_video_day.get(index, ())
            if other != uuid and self.ledger[other].lifetime_applied
        )
        day = self.activity.get(new.local_day, DayActivity())
        change = lifetime_change(
            old, new, others_active_ms=others, day_active_ms=day.active_watched_ms
        )
        if old is not None:
            self.dirty |= old.groups()
            self.by_video_day[(old.video_key, old.local_day)].discard(uuid)
        self.ledger[uuid] = replace(new, lifetime_applied=True)
        self.by_video_day.setdefault(index, set()).add(uuid)
        self.dirty |= new.groups()
        video = self.lifetime_videos.get(new.video_key, LifetimeTotals())
        self.lifetime_videos[new.video_key] = video.applied(change, change.video_active_days)
        self.lifetime_global = self.lifetime_global.applied(change, change.global_active_days)
        self.activity[new.local_day] = day.plus(change.totals)

    def apply_pending(self) -> None:
        """Apply ledger entries not yet in the lifetime totals (e.g. imported ones)."""
        for entry in [e for e in self.ledger.values() if not e.lifetime_applied]:
            self._apply(entry)

    def recompute_dirty(self) -> int:
        """Rebuild each dirty rollup group from its ledger entries; the number of groups."""
        if not self.dirty:
            return 0
        dirty, self.dirty = self.dirty, set()
        tables = {DAY_KIND: self.daily, MONTH_KIND: self.monthly}
        for kind, period, key in dirty:
            tables[kind].pop((period, key), None)
        for entry in self.ledger.values():
            for kind, period, key in entry.groups() & dirty:
                table = tables[kind]
                table[(period, key)] = table.get((period, key), PeriodTotals()).plus(entry.totals)
        return len(dirty)

    def prune(self, cutoffs: PruneCutoffs) -> dict[str, int]:
        """Drop rollups (and their dirty marks) before the rollup cutoffs, and ledger entries
        older than both; rows deleted per table."""
        deleted = {"daily_rollups": 0, "monthly_rollups": 0, "session_totals": 0}
        day_bound = (
            None if cutoffs.daily_before_day is None else day_number(cutoffs.daily_before_day)
        )
        month_bound = cutoffs.monthly_before_month
        for name, kind, table, bound in (
            ("daily_rollups", DAY_KIND, self.daily, day_bound),
            ("monthly_rollups", MONTH_KIND, self.monthly, month_bound),
        ):
            if bound is None:
                continue
            old = [group for group in table if group[0] < bound]
            for group in old:
                del table[group]
            deleted[name] = len(old)
            self.dirty = {g for g in self.dirty if g[0] != kind or g[1] >= bound}
        if day_bound is not None and month_bound is not None:
            old_entries = [
                entry
                for entry in self.ledger.values()
                if entry.lifetime_applied
                and entry.day_number < day_bound
                and entry.local_month < month_bound
            ]
            for entry in old_entries:
                del self.ledger[entry.session_uuid]
                self.by_video_day[(entry.video_key, entry.local_day)].discard(entry.session_uuid)
            deleted["session_totals"] = len(old_entries)
        return deleted


class MemorySource:
    """The read primitives over a memory store's data (called with its lock held)."""

    def __init__(self, tables: MemoryTables, analytics: MemoryAnalytics) -> None:
        self._tables = tables
        self._analytics = analytics

    def rollup_rows(self, kind: RollupKind, limit: int, video_key: str | None) -> list[Row]:
        table = self._analytics.daily if kind == "day" else self._analytics.monthly
        periods = {period for period, key in table if video_key is None or key == video_key}
        newest = set(sorted(periods, reverse=True)[:limit])
        return [
            (period, key, *sums_of(totals))
            for (period, key), totals in table.items()
            if period in newest and (video_key is None or key == video_key)
        ]

    def _entries(self, start: int | None, end: int) -> Iterator[LedgerEntry]:
        return (
            e
            for e in self._analytics.ledger.values()
            if (start is None or start <= e.day_number) and e.day_number <= end
        )

    def ledger_summary(
        self, start: int | None, end: int, period: LedgerPeriod, *, weekdays: bool = False
    ) -> list[Row]:
        groups: dict[tuple[int, int], PeriodTotals] = {}
        first: int | None = None
        for entry in self._entries(start, end):
            number = entry.day_number
            key = (GROUP_PERIOD, number if period == "day" else entry.local_month)
            groups[key] = groups.get(key, PeriodTotals()).plus(entry.totals)
            if weekdays:  # weekday groups sum active time only (as the SQL stores do)
                key = (GROUP_WEEKDAY, entry.local_weekday)
                active = PeriodTotals(active_watched_ms=entry.totals.active_watched_ms)
                groups[key] = groups.get(key, PeriodTotals()).plus(active)
            first = number if first is None else min(first, number)
        rows: list[Row] = [
            (kind, group, *sums_of(totals)) for (kind, group), totals in groups.items()
        ]
        rows.append((GROUP_FIRST, first, *EMPTY_SUMS))
        return rows

    def ledger_brief(self, start: int | None, end: int) -> list[Row]:
        return [
            (
                entry.video_key,  # the memory store's own id of a video is its key
                entry.local_hour,
                entry.totals.active_watched_ms,
                entry.totals.words_seen,
                entry.totals.cards_mined,
            )
            for entry in self._entries(start, end)
        ]

    def video_names(self, videos: list[Any]) -> dict[Any, tuple[str, str | None]]:
        stored = self._tables.videos
        return {key: (key, stored[key].title) for key in videos}

    def active_days(self, start: int | None, end: int | None) -> list[tuple[int, int]]:
        rows = [
            (day_number(day), activity.active_watched_ms)
            for day, activity in self._analytics.activity.items()
            if activity.active_watched_ms > 0
        ]
        return [
            row
            for row in rows
            if (start is None or row[0] >= start) and (end is None or row[0] <= end)
        ]

    def live_sessions(self, video_key: str | None) -> list[LiveSession]:
        return [
            LiveSession(
                video_key=s.video_key,
                started_at_ms=s.started_at_ms,
                local_day=day_number(s.local_day),
                last_activity_ms=s.started_at_ms if s.last_sample_ms is None else s.last_sample_ms,
                counters=s.counters,
            )
            for s in self._tables.sessions.values()
            if s.status is SessionStatus.ACTIVE and (video_key is None or s.video_key == video_key)
        ]

    def video_rows(self, video_key: str | None) -> list[Row]:
        lifetime = self._analytics.lifetime_videos
        rows: list[Row] = []
        for v in self._tables.videos.values():
            if video_key is not None and v.video_key != video_key:
                continue
            found = lifetime.get(v.video_key, LifetimeTotals())
            t = found.totals
            rows.append(
                (
                    v.video_key,
                    v.title,
                    v.duration_ms,
                    t.sessions,
                    t.total_watched_ms,
                    t.active_watched_ms,
                    t.lines_seen,
                    t.words_seen,
                    t.tokens_seen,
                    t.cards_mined,
                    found.last_watched_ms,
                    found.active_days,
                    found.first_watched_ms,
                )
            )
        return rows

    def video_count(self) -> int:
        return len(self._tables.videos)

    def lifetime_global(self) -> LifetimeTotals:
        return self._analytics.lifetime_global
