"""The analytics reads, written once for every store.

A store supplies an ``AnalyticsSource``: a handful of small aggregate primitives over one
consistent view of its data (SQL ``GROUP BY`` in the SQL stores, loops in ``MemoryStore``).
``AnalyticsReads`` turns them into the results of ``immersion.analytics`` and
``immersion.results``: ranges, zero-filling, ordering, ratios, streaks, running totals and the
merge of lifetime totals with live sessions all happen here, so every backend returns the same
objects by construction.

Primitives return unordered data; every order is decided here (code point order for keys).
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from ..analytics import (
    CalendarDay,
    DailyRollup,
    MonthlyRollup,
    PeriodTotals,
    Streak,
    Throughput,
    ThroughputBucket,
    Trends,
    VideoTrend,
    activity_bucket,
    bucket_keys,
    check_range,
    cumulative_buckets,
    minutes,
    range_start,
    streak_from_days,
    zero_filled_days,
)
from ..domain import SessionCounters, day_from_number, day_number, month_key
from ..localtime import local_today
from ..results import Overview, VideoStats
from .ledger import LifetimeTotals

__all__ = ["AnalyticsReads", "AnalyticsSource", "LedgerGrouping", "LiveSession", "VideoInfo"]

# What ledger rows are grouped by: day number, YYYYMM month, weekday (0 = Monday), hour.
LedgerGrouping = Literal["day", "month", "weekday", "hour"]
RollupKind = Literal["day", "month"]

# Named here: inside the reads, ``range`` is the caller's range name.
_WEEKDAYS = tuple(range(7))
_HOURS = tuple(range(24))


@dataclass(frozen=True, slots=True)
class LiveSession:
    """An ACTIVE session with its live counters."""

    video_key: str
    started_at_ms: int
    local_day: dt.date
    last_activity_ms: int  # its newest sample's time, else its start
    counters: SessionCounters


@dataclass(frozen=True, slots=True)
class VideoInfo:
    video_key: str
    title: str
    duration_ms: int | None


class AnalyticsSource(Protocol):
    """One consistent view of a store's data, as the aggregates the reads need."""

    def rollup_rows(
        self, kind: RollupKind, limit: int, video_key: str | None
    ) -> list[tuple[int, str, PeriodTotals]]:
        """``(period, video_key, totals)`` of every daily (period: day number) or monthly
        (``YYYYMM``) rollup row of the newest ``limit`` (> 0) periods that have rows, only of
        ``video_key`` when given. Any order."""
        ...

    def ledger_groups(
        self, start: dt.date, end: dt.date, by: LedgerGrouping
    ) -> dict[int, PeriodTotals]:
        """Sums of the ledger rows with ``start <= local_day <= end`` per group (no entry for
        an empty group)."""
        ...

    def ledger_by_video(self, start: dt.date, end: dt.date) -> dict[str, tuple[str, PeriodTotals]]:
        """Like ``ledger_groups`` per video: ``video_key -> (title, totals)``."""
        ...

    def first_ledger_day(self) -> dt.date | None:
        """The earliest ``local_day`` in the ledger."""
        ...

    def active_days(self, start: dt.date | None, end: dt.date | None) -> dict[dt.date, int]:
        """Active ms per local day of the day activity, for days with active time > 0 in
        ``[start, end]`` (``None``: unbounded)."""
        ...

    def live_sessions(self, video_key: str | None) -> list[LiveSession]:
        """Every ACTIVE session (of ``video_key`` when given)."""
        ...

    def videos(self, video_key: str | None) -> list[VideoInfo]:
        """Every video, or only ``video_key`` (none when unknown)."""
        ...

    def video_count(self) -> int: ...

    def lifetime_videos(self, video_key: str | None) -> dict[str, LifetimeTotals]:
        """Lifetime totals per video that has any (of ``video_key`` when given)."""
        ...

    def lifetime_global(self) -> LifetimeTotals: ...


class AnalyticsReads(abc.ABC):
    """The analytics reads of ``ImmersionTrackingStore``, over a store's ``_analytics``."""

    # The learner's zone for ``today=None`` (``None``: the system's zone); set by the store.
    _zone: ZoneInfo | None

    @abc.abstractmethod
    def _analytics(self, operation: str) -> AbstractContextManager[AnalyticsSource]:
        """A consistent view of the data for the duration of the block."""

    def _today(self, today: dt.date | None) -> dt.date:
        return today if today is not None else local_today(self._zone)

    # ----------------------------------------------------------------- rollups

    def daily_rollups(
        self, limit_days: int = 60, video_key: str | None = None
    ) -> list[DailyRollup]:
        if limit_days <= 0:
            return []
        with self._analytics("daily_rollups") as source:
            rows = source.rollup_rows("day", limit_days, video_key)
        rows.sort(key=lambda row: (-row[0], row[1]))
        return [DailyRollup.of(day_from_number(day), key, totals) for day, key, totals in rows]

    def monthly_rollups(
        self, limit_months: int = 24, video_key: str | None = None
    ) -> list[MonthlyRollup]:
        if limit_months <= 0:
            return []
        with self._analytics("monthly_rollups") as source:
            rows = source.rollup_rows("month", limit_months, video_key)
        rows.sort(key=lambda row: (-row[0], row[1]))
        return [MonthlyRollup.of(month, key, totals) for month, key, totals in rows]

    # ----------------------------------------------------------------- ranges of the ledger

    def throughput(
        self, range: str = "30d", group_by: str = "day", today: dt.date | None = None
    ) -> Throughput:
        check_range(range, group_by)
        end = self._today(today)
        with self._analytics("throughput") as source:
            start = _start(source, range, end)
            groups = source.ledger_groups(start, end, "day" if group_by == "day" else "month")
        by_key = _keyed(groups, group_by)
        overall = _sum(by_key.values())
        return Throughput(
            range=range,
            group_by=group_by,
            buckets=[
                ThroughputBucket.of(key, by_key.get(key, PeriodTotals()))
                for key in bucket_keys(start, end, group_by)
            ],
            overall=ThroughputBucket.of(f"{start.isoformat()}/{end.isoformat()}", overall),
        )

    def trends(
        self, range: str = "30d", group_by: str = "day", today: dt.date | None = None
    ) -> Trends:
        check_range(range, group_by)
        end = self._today(today)
        with self._analytics("trends") as source:
            start = _start(source, range, end)
            groups = source.ledger_groups(start, end, "day" if group_by == "day" else "month")
            weekdays = source.ledger_groups(start, end, "weekday")
            hours = source.ledger_groups(start, end, "hour")
            per_video = source.ledger_by_video(start, end)
        by_key = _keyed(groups, group_by)
        keys = bucket_keys(start, end, group_by)
        empty = PeriodTotals()
        ranked = sorted(
            per_video.items(), key=lambda item: (-item[1][1].active_watched_ms, item[0])
        )
        return Trends(
            range=range,
            group_by=group_by,
            start=start,
            end=end,
            activity=[activity_bucket(key, by_key.get(key, empty)) for key in keys],
            cumulative=cumulative_buckets(keys, by_key),
            ratios=[ThroughputBucket.of(key, by_key.get(key, empty)) for key in keys],
            by_weekday=[minutes(weekdays.get(i, empty).active_watched_ms) for i in _WEEKDAYS],
            by_hour=[minutes(hours.get(i, empty).active_watched_ms) for i in _HOURS],
            videos=[
                VideoTrend(
                    video_key=key,
                    title=title,
                    sessions=totals.sessions,
                    active_min=totals.active_min,
                    words_seen=totals.words_seen,
                    cards_mined=totals.cards_mined,
                )
                for key, (title, totals) in ranked
            ],
        )

    # ----------------------------------------------------------------- day activity

    def streak(self, today: dt.date | None = None) -> Streak:
        end = self._today(today)
        with self._analytics("streak") as source:
            days = source.active_days(None, None)
        return streak_from_days(days, end)

    def streak_calendar(self, days: int = 90, today: dt.date | None = None) -> list[CalendarDay]:
        if days <= 0:
            return []
        end = self._today(today)
        start = end - dt.timedelta(days=days - 1)
        with self._analytics("streak_calendar") as source:
            active = source.active_days(start, end)
        return zero_filled_days(start, end, active)

    # ----------------------------------------------------------------- lifetime + live

    def video_stats(self, video_key: str | None = None) -> list[VideoStats]:
        with self._analytics("video_stats") as source:
            videos = source.videos(video_key)
            lifetime = source.lifetime_videos(video_key)
            live = source.live_sessions(video_key)
        live_by_video: dict[str, list[LiveSession]] = {}
        for session in live:
            live_by_video.setdefault(session.video_key, []).append(session)
        stats = [
            _video_stats(
                video,
                lifetime.get(video.video_key, LifetimeTotals()),
                live_by_video.get(video.video_key, []),
            )
            for video in videos
        ]
        # Most recently watched first, never-watched last, ties by key (code point order).
        stats.sort(
            key=lambda s: (s.last_watched_ms is None, -(s.last_watched_ms or 0), s.video_key)
        )
        return stats

    def overview(self, today: dt.date | None = None) -> Overview:
        end = self._today(today)
        with self._analytics("overview") as source:
            lifetime = source.lifetime_global()
            live = source.live_sessions(None)
            video_count = source.video_count()
            ended_today = source.ledger_groups(end, end, "day").get(day_number(end))
            days = source.active_days(None, None)
        streak = streak_from_days(days, end)
        ended = lifetime.totals
        live_totals = _live_sum(live)
        live_today = _live_sum(s for s in live if s.local_day == end)
        today_totals = (ended_today or PeriodTotals()).plus(live_today)
        active_ms = ended.active_watched_ms + live_totals.active_watched_ms
        starts = [s.started_at_ms for s in live]
        return Overview(
            total_sessions=ended.sessions + len(live),
            active_sessions=len(live),
            total_videos=video_count,
            total_watched_ms=ended.total_watched_ms + live_totals.total_watched_ms,
            active_watched_ms=active_ms,
            lines_seen=ended.lines_seen + live_totals.lines_seen,
            words_seen=ended.words_seen + live_totals.words_seen,
            tokens_seen=ended.tokens_seen + live_totals.tokens_seen,
            cards_mined=ended.cards_mined + live_totals.cards_mined,
            first_started_ms=_min_of(lifetime.first_watched_ms, starts),
            last_started_ms=_max_of(lifetime.last_started_ms, starts),
            today_active_min=today_totals.active_min,
            today_cards=today_totals.cards_mined,
            current_streak_days=streak.current_days,
            longest_streak_days=streak.longest_days,
            active_days=streak.active_days,
            all_time_hours=round(active_ms / 3_600_000, 3),
        )


def _start(source: AnalyticsSource, range_name: str, end: dt.date) -> dt.date:
    first = source.first_ledger_day() if range_name == "all" else None
    return range_start(range_name, end, first)


def _keyed(groups: dict[int, PeriodTotals], group_by: str) -> dict[str, PeriodTotals]:
    """Ledger groups by bucket key: ``YYYY-MM-DD`` (from day numbers) or ``YYYY-MM``."""
    if group_by == "day":
        return {day_from_number(n).isoformat(): totals for n, totals in groups.items()}
    return {month_key(month): totals for month, totals in groups.items()}


def _sum(totals: Iterable[PeriodTotals]) -> PeriodTotals:
    result = PeriodTotals()
    for item in totals:
        result = result.plus(item)
    return result


def _live_sum(sessions: Iterable[LiveSession]) -> PeriodTotals:
    return _sum(PeriodTotals.of_session(s.counters) for s in sessions)


def _min_of(first: int | None, values: list[int]) -> int | None:
    candidates = values if first is None else [first, *values]
    return min(candidates, default=None)


def _max_of(first: int | None, values: list[int]) -> int | None:
    candidates = values if first is None else [first, *values]
    return max(candidates, default=None)


def _video_stats(video: VideoInfo, lifetime: LifetimeTotals, live: list[LiveSession]) -> VideoStats:
    totals = lifetime.totals.plus(_live_sum(live))
    return VideoStats(
        video_key=video.video_key,
        title=video.title,
        duration_ms=video.duration_ms,
        sessions=totals.sessions,
        total_watched_ms=totals.total_watched_ms,
        active_watched_ms=totals.active_watched_ms,
        lines_seen=totals.lines_seen,
        words_seen=totals.words_seen,
        tokens_seen=totals.tokens_seen,
        cards_mined=totals.cards_mined,
        last_watched_ms=_max_of(lifetime.last_watched_ms, [s.last_activity_ms for s in live]),
        active_days=lifetime.active_days,
        first_watched_ms=_min_of(lifetime.first_watched_ms, [s.started_at_ms for s in live]),
    )
