"""The read primitives of ``immersion.stores.analytics_reads`` in SQLAlchemy Core.

Plain ``GROUP BY`` aggregates over integer columns: no dialect date functions (days are
stored as day numbers, months as ``YYYYMM``, weekdays and hours as integers). Sums come back
as ``Decimal`` on PostgreSQL and MySQL and pass through ``int``. Order is decided by the shared
reads, so no statement here needs a collation-sensitive ``ORDER BY`` on strings.

``LIMIT`` inside an ``IN`` subquery is not supported by MySQL, so "the newest N periods" is
two statements: the N-th newest period, then every row from it on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, select

from ...analytics import LEDGER_COUNTERS, PeriodTotals
from ...domain import SessionCounters, SessionStatus, day_from_number, day_number
from ..analytics_reads import LedgerGrouping, LiveSession, RollupKind, VideoInfo
from ..ledger import LifetimeTotals
from .schema import (
    COUNTER_NAMES,
    activity_days,
    daily_rollups,
    lifetime_global,
    lifetime_videos,
    monthly_rollups,
    session_totals,
    sessions,
    videos,
)

__all__ = ["SqlSource"]

# Bounds for "no bound" on INTEGER day / month columns.
_LOWEST = -(2**31)
_HIGHEST = 2**31 - 1


def _rollup_statements(table: Table, period: str) -> dict[bool, tuple[Select[Any], Select[Any]]]:
    """``{filtered_by_video: (nth newest period, rows from a period on)}``."""
    column = table.c[period]
    joined = table.join(videos, table.c.video_id == videos.c.id)
    nth = (
        select(column)
        .select_from(joined)
        .group_by(column)
        .order_by(column.desc())
        .limit(1)
        .offset(bindparam("p_skip"))
    )
    rows = (
        select(
            column.label("period"),
            videos.c.video_key,
            table.c.sessions,
            *(table.c[name] for name in LEDGER_COUNTERS),
        )
        .select_from(joined)
        .where(column >= bindparam("p_from"))
    )
    one = videos.c.video_key == bindparam("p_key")
    return {False: (nth, rows), True: (nth.where(one), rows.where(one))}


_ROLLUPS = {
    "day": _rollup_statements(daily_rollups, "local_day"),
    "month": _rollup_statements(monthly_rollups, "local_month"),
}

_LEDGER_SUMS = (
    func.count().label("sessions"),
    *(func.sum(session_totals.c[name]).label(name) for name in LEDGER_COUNTERS),
)
_IN_RANGE = session_totals.c.local_day.between(bindparam("p_start"), bindparam("p_end"))
_GROUP_COLUMNS = {
    "day": session_totals.c.local_day,
    "month": session_totals.c.local_month,
    "weekday": session_totals.c.local_weekday,
    "hour": session_totals.c.local_hour,
}
_LEDGER_GROUPS = {
    by: select(column.label("grouping"), *_LEDGER_SUMS).where(_IN_RANGE).group_by(column)
    for by, column in _GROUP_COLUMNS.items()
}
_LEDGER_BY_VIDEO = (
    select(videos.c.video_key, videos.c.title, *_LEDGER_SUMS)
    .join_from(session_totals, videos, session_totals.c.video_id == videos.c.id)
    .where(_IN_RANGE)
    .group_by(videos.c.id, videos.c.video_key, videos.c.title)
)
_FIRST_DAY = select(func.min(session_totals.c.local_day))

_ACTIVE_DAYS = select(activity_days.c.local_day, activity_days.c.active_watched_ms).where(
    activity_days.c.active_watched_ms > 0,
    activity_days.c.local_day.between(bindparam("p_start"), bindparam("p_end")),
)

_LIVE = (
    select(
        videos.c.video_key,
        sessions.c.started_at_ms,
        sessions.c.local_day,
        func.coalesce(sessions.c.last_sample_ms, sessions.c.started_at_ms).label("last_activity"),
        *(sessions.c[name] for name in COUNTER_NAMES),
    )
    .join_from(sessions, videos, sessions.c.video_id == videos.c.id)
    .where(sessions.c.status == int(SessionStatus.ACTIVE))
)
_LIVE_ONE = _LIVE.where(videos.c.video_key == bindparam("p_key"))

_VIDEOS = select(videos.c.video_key, videos.c.title, videos.c.duration_ms)
_VIDEOS_ONE = _VIDEOS.where(videos.c.video_key == bindparam("p_key"))
_VIDEO_COUNT = select(func.count()).select_from(videos)

_LIFETIME_COLUMNS = ("sessions", *LEDGER_COUNTERS, "active_days", "first_watched_ms")
_LIFETIME_VIDEOS = select(
    videos.c.video_key,
    *(lifetime_videos.c[name] for name in _LIFETIME_COLUMNS),
    lifetime_videos.c.last_watched_ms,
).join_from(lifetime_videos, videos, lifetime_videos.c.video_id == videos.c.id)
_LIFETIME_VIDEOS_ONE = _LIFETIME_VIDEOS.where(videos.c.video_key == bindparam("p_key"))
_LIFETIME_GLOBAL = select(lifetime_global).where(lifetime_global.c.id == 1)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _lifetime(row: Any) -> LifetimeTotals:
    m = row._mapping
    return LifetimeTotals(
        totals=PeriodTotals.from_mapping(m),
        active_days=int(m["active_days"]),
        first_watched_ms=_optional_int(m["first_watched_ms"]),
        last_watched_ms=_optional_int(m["last_watched_ms"]),
        last_started_ms=_optional_int(m.get("last_started_ms")),
    )


class SqlSource:
    """The read primitives on one connection (see ``AnalyticsSource``)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def rollup_rows(
        self, kind: RollupKind, limit: int, video_key: str | None
    ) -> list[tuple[int, str, PeriodTotals]]:
        nth, rows = _ROLLUPS[kind][video_key is not None]
        params: dict[str, Any] = {"p_skip": limit - 1}
        if video_key is not None:
            params["p_key"] = video_key
        oldest = self._connection.scalar(nth, params)
        # fewer than ``limit`` periods have rows: all of them
        params["p_from"] = _LOWEST if oldest is None else int(oldest)
        return [
            (int(row.period), row.video_key, PeriodTotals.from_mapping(row._mapping))
            for row in self._connection.execute(rows, params)
        ]

    def _range(self, start: dt.date, end: dt.date) -> dict[str, int]:
        return {"p_start": day_number(start), "p_end": day_number(end)}

    def ledger_groups(
        self, start: dt.date, end: dt.date, by: LedgerGrouping
    ) -> dict[int, PeriodTotals]:
        rows = self._connection.execute(_LEDGER_GROUPS[by], self._range(start, end))
        return {int(row.grouping): PeriodTotals.from_mapping(row._mapping) for row in rows}

    def ledger_by_video(self, start: dt.date, end: dt.date) -> dict[str, tuple[str, PeriodTotals]]:
        rows = self._connection.execute(_LEDGER_BY_VIDEO, self._range(start, end))
        return {row.video_key: (row.title, PeriodTotals.from_mapping(row._mapping)) for row in rows}

    def first_ledger_day(self) -> dt.date | None:
        first = self._connection.scalar(_FIRST_DAY)
        return None if first is None else day_from_number(int(first))

    def active_days(self, start: dt.date | None, end: dt.date | None) -> dict[dt.date, int]:
        params = {
            "p_start": _LOWEST if start is None else day_number(start),
            "p_end": _HIGHEST if end is None else day_number(end),
        }
        rows = self._connection.execute(_ACTIVE_DAYS, params)
        return {day_from_number(int(row.local_day)): int(row.active_watched_ms) for row in rows}

    def live_sessions(self, video_key: str | None) -> list[LiveSession]:
        if video_key is None:
            rows = self._connection.execute(_LIVE)
        else:
            rows = self._connection.execute(_LIVE_ONE, {"p_key": video_key})
        return [
            LiveSession(
                video_key=row.video_key,
                started_at_ms=int(row.started_at_ms),
                local_day=day_from_number(int(row.local_day)),
                last_activity_ms=int(row.last_activity),
                counters=SessionCounters(
                    **{name: int(row._mapping[name]) for name in COUNTER_NAMES}
                ),
            )
            for row in rows
        ]

    def videos(self, video_key: str | None) -> list[VideoInfo]:
        if video_key is None:
            rows = self._connection.execute(_VIDEOS)
        else:
            rows = self._connection.execute(_VIDEOS_ONE, {"p_key": video_key})
        return [VideoInfo(row.video_key, row.title, _optional_int(row.duration_ms)) for row in rows]

    def video_count(self) -> int:
        return int(self._connection.scalar(_VIDEO_COUNT) or 0)

    def lifetime_videos(self, video_key: str | None) -> dict[str, LifetimeTotals]:
        if video_key is None:
            rows = self._connection.execute(_LIFETIME_VIDEOS)
        else:
            rows = self._connection.execute(_LIFETIME_VIDEOS_ONE, {"p_key": video_key})
        return {row.video_key: _lifetime(row) for row in rows}

    def lifetime_global(self) -> LifetimeTotals:
        row = self._connection.execute(_LIFETIME_GLOBAL).first()
        return LifetimeTotals() if row is None else _lifetime(row)
