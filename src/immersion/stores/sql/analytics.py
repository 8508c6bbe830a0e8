"""The read primitives of ``immersion.stores.analytics_reads`` in SQLAlchemy Core.

Plain ``GROUP BY`` aggregates over integer columns: no dialect date functions (days are
stored as day numbers, months as ``YYYYMM``, weekdays and hours as integers). Sums are cast
to ``BIGINT`` in SQL (PostgreSQL and MySQL would return ``NUMERIC``/``DECIMAL``), so rows
come back as plain ints and are handed on positionally, without a conversion per value.
Order is decided by the shared reads (Python compares strings by code point, as the key
columns' collations do on every engine).

Fewer statements per read matter on a server, where each one is a round trip: a trends
read is one ``UNION ALL`` of its groupings from ``ledger_days``, one plain read of the
range's ledger rows (hours and videos are summed in Python) and the names of the top videos;
video stats one ``LEFT JOIN`` of videos and their lifetime totals plus the live sessions.
Statements that return many rows run through ``fetch.DriverQuery`` (driver tuples, no
per-row objects).

``LIMIT`` inside an ``IN`` subquery is not supported by MySQL, so "the newest N periods" is
two statements: the N-th newest period, then every row from it on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    Select,
    Table,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    union_all,
)

from ...analytics import LEDGER_COUNTERS, PeriodTotals
from ...domain import SessionCounters, SessionStatus
from ...results import VideoStats
from ..analytics_reads import LedgerPeriod, LiveSession, RollupKind
from ..analytics_rows import GROUP_FIRST, GROUP_PERIOD, GROUP_WEEKDAY, Row
from ..ledger import LifetimeTotals
from .fetch import DriverQuery
from .schema import (
    COUNTER_NAMES,
    activity_days,
    daily_rollups,
    ledger_days,
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


def _rollup_statements(table: Table, period: str) -> dict[bool, tuple[Select[Any], DriverQuery]]:
    """``{filtered_by_video: (nth newest period, rows from a period on)}``."""
    column = table.c[period]
    # The periods alone: every rollup row has its video (a foreign key), so no join is
    # needed to count them; one video's by its id, on the (video_id, period) index.
    nth = (
        select(column).group_by(column).order_by(column.desc()).limit(1).offset(bindparam("p_skip"))
    )
    video_id = select(videos.c.id).where(videos.c.video_key == bindparam("p_key"))
    rows = (
        select(
            column,
            videos.c.video_key,
            table.c.sessions,
            *(table.c[name] for name in LEDGER_COUNTERS),
        )
        .select_from(table.join(videos, table.c.video_id == videos.c.id))
        .where(column >= bindparam("p_from"))
    )
    return {
        False: (nth, DriverQuery(rows)),
        True: (
            nth.where(table.c.video_id == video_id.scalar_subquery()),
            DriverQuery(rows.where(videos.c.video_key == bindparam("p_key"))),
        ),
    }


_ROLLUPS = {
    "day": _rollup_statements(daily_rollups, "local_day"),
    "month": _rollup_statements(monthly_rollups, "local_month"),
}


def _sum(column: ColumnElement[Any]) -> ColumnElement[int]:
    return cast(func.sum(column), BigInteger)


# The sums of a month's day rows; weekday groups need active time only.
_DAY_SUMS = (
    _sum(ledger_days.c.sessions).label("sessions"),
    *(_sum(ledger_days.c[name]) for name in LEDGER_COUNTERS),
)
_ACTIVE_ONLY = (
    literal_column("0", Integer),
    *(
        _sum(ledger_days.c[name]) if name == "active_watched_ms" else literal_column("0", Integer)
        for name in LEDGER_COUNTERS
    ),
)


_NO_SUMS = (literal_column("0", Integer),) * (1 + len(LEDGER_COUNTERS))
_IN_RANGE = session_totals.c.local_day.between(bindparam("p_start"), bindparam("p_end"))
_DAYS_IN_RANGE = ledger_days.c.local_day.between(bindparam("p_start"), bindparam("p_end"))


def _kind(kind: int) -> ColumnElement[int]:
    """The row kind as a constant column."""
    return literal_column(str(kind), Integer)


def _summary(period: LedgerPeriod, weekdays: bool) -> CompoundSelect[Any]:
    """One statement for every grouping a read needs (see ``ledger_summary``), all from
    ``ledger_days``: one row per day, so a day series is a primary key range with no
    aggregation (MariaDB: 4.2 -> 1.1 ms for a year's days, grouping the ledger)."""
    days = ledger_days.c
    if period == "day":
        by_period = select(
            _kind(GROUP_PERIOD), days.local_day, days.sessions, *(days[n] for n in LEDGER_COUNTERS)
        ).where(_DAYS_IN_RANGE)
    else:
        by_period = (
            select(_kind(GROUP_PERIOD), days.local_month, *_DAY_SUMS)
            .where(_DAYS_IN_RANGE)
            .group_by(days.local_month)
        )
    branches = [by_period]
    if weekdays:
        branches.append(
            select(_kind(GROUP_WEEKDAY), days.local_weekday, *_ACTIVE_ONLY)
            .where(_DAYS_IN_RANGE)
            .group_by(days.local_weekday)
        )
    first_day = func.min(days.local_day)
    first = select(_kind(GROUP_FIRST), first_day, *_NO_SUMS).where(_DAYS_IN_RANGE)
    return union_all(*branches, first)


_SUMMARIES = {
    (period, weekdays): DriverQuery(_summary(period, weekdays))
    for period in ("day", "month")
    for weekdays in (False, True)
}

# The ledger rows of a range, as trends sums them (``ledger_brief``); the video by its id.
_BRIEF = DriverQuery(
    select(
        session_totals.c.video_id,
        session_totals.c.local_hour,
        session_totals.c.active_watched_ms,
        session_totals.c.words_seen,
        session_totals.c.cards_mined,
    ).where(_IN_RANGE)
)
_NAMES = select(videos.c.id, videos.c.video_key, videos.c.title)
_SOME_NAMES = _NAMES.where(videos.c.id.in_(bindparam("p_ids", expanding=True)))
# Above this many ids (every video of a long range), every video instead of an IN list.
_MAX_LISTED = 500


_ACTIVE_DAYS = DriverQuery(
    select(activity_days.c.local_day, activity_days.c.active_watched_ms).where(
        activity_days.c.active_watched_ms > 0,
        activity_days.c.local_day.between(bindparam("p_start"), bindparam("p_end")),
    )
)

_LIVE = (
    select(
        videos.c.video_key,
        sessions.c.started_at_ms,
        sessions.c.local_day,
        func.coalesce(sessions.c.last_sample_ms, sessions.c.started_at_ms),
        *(sessions.c[name] for name in COUNTER_NAMES),
    )
    .join_from(sessions, videos, sessions.c.video_id == videos.c.id)
    .where(sessions.c.status == int(SessionStatus.ACTIVE))
)
_LIVE_ONE = DriverQuery(_LIVE.where(videos.c.video_key == bindparam("p_key")))
_LIVE_ALL = DriverQuery(_LIVE)


def _video_column(name: str) -> ColumnElement[Any]:
    """The column of ``VideoStats.<name>``: the video's own, or its lifetime total (0 when
    the video has none; first/last watched stay NULL)."""
    if name in videos.c:
        return videos.c[name]
    if name in {"first_watched_ms", "last_watched_ms"}:
        return lifetime_videos.c[name]
    return func.coalesce(lifetime_videos.c[name], 0)


# In the field order of VideoStats, by construction.
_VIDEO_ROWS = select(*(_video_column(f.name) for f in fields(VideoStats))).join_from(
    videos, lifetime_videos, lifetime_videos.c.video_id == videos.c.id, isouter=True
)
_VIDEO_ROWS_ONE = DriverQuery(_VIDEO_ROWS.where(videos.c.video_key == bindparam("p_key")))
_VIDEO_ROWS_ALL = DriverQuery(_VIDEO_ROWS)
_VIDEO_COUNT = select(func.count()).select_from(videos)

_LIFETIME_GLOBAL = select(
    lifetime_global.c.sessions,
    *(lifetime_global.c[name] for name in LEDGER_COUNTERS),
    lifetime_global.c.active_days,
    lifetime_global.c.first_watched_ms,
    lifetime_global.c.last_watched_ms,
    lifetime_global.c.last_started_ms,
).where(lifetime_global.c.id == 1)


def _range(start: int | None, end: int | None) -> dict[str, int]:
    return {
        "p_start": _LOWEST if start is None else start,
        "p_end": _HIGHEST if end is None else end,
    }


class SqlSource:
    """The read primitives on one connection (see ``AnalyticsSource``)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _rows(self, query: DriverQuery, params: Mapping[str, Any] | None = None) -> list[Row]:
        return query.rows(self._connection, params or {})

    def rollup_rows(self, kind: RollupKind, limit: int, video_key: str | None) -> list[Row]:
        nth, rows = _ROLLUPS[kind][video_key is not None]
        params: dict[str, Any] = {"p_skip": limit - 1}
        if video_key is not None:
            params["p_key"] = video_key
        oldest = self._connection.scalar(nth, params)
        # fewer than ``limit`` periods have rows: all of them
        params["p_from"] = _LOWEST if oldest is None else oldest
        return self._rows(rows, params)

    def ledger_summary(
        self, start: int | None, end: int, period: LedgerPeriod, *, weekdays: bool = False
    ) -> list[Row]:
        return self._rows(_SUMMARIES[(period, weekdays)], _range(start, end))

    def ledger_brief(self, start: int | None, end: int) -> list[Row]:
        return self._rows(_BRIEF, _range(start, end))

    def video_names(self, videos: list[Any]) -> dict[Any, tuple[str, str | None]]:
        if len(videos) > _MAX_LISTED:
            rows = self._connection.execute(_NAMES)
        else:
            rows = self._connection.execute(_SOME_NAMES, {"p_ids": videos})
        return {video_id: (key, title) for video_id, key, title in rows}

    def active_days(self, start: int | None, end: int | None) -> list[tuple[int, int]]:
        return self._rows(_ACTIVE_DAYS, _range(start, end))

    def live_sessions(self, video_key: str | None) -> list[LiveSession]:
        if video_key is None:
            rows = self._rows(_LIVE_ALL)
        else:
            rows = self._rows(_LIVE_ONE, {"p_key": video_key})
        return [
            LiveSession(row[0], row[1], row[2], row[3], SessionCounters(*row[4:])) for row in rows
        ]

    def video_rows(self, video_key: str | None) -> list[Row]:
        if video_key is None:
            return self._rows(_VIDEO_ROWS_ALL)
        return self._rows(_VIDEO_ROWS_ONE, {"p_key": video_key})

    def video_count(self) -> int:
        return int(self._connection.scalar(_VIDEO_COUNT) or 0)

    def lifetime_global(self) -> LifetimeTotals:
        row = self._connection.execute(_LIFETIME_GLOBAL).first()
        if row is None:
            return LifetimeTotals()
        sessions_, *counters, active_days, first, last, last_started = row
        totals = PeriodTotals(sessions_, **dict(zip(LEDGER_COUNTERS, counters, strict=True)))
        return LifetimeTotals(totals, active_days, first, last, last_started)
