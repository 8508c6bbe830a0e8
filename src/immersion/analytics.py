"""Analytics result types and the pure computations every store shares.

Stores aggregate (SQL ``GROUP BY`` or Python loops) into per-day / per-month / per-session
rows; everything that is the same whatever the engine — ranges, zero-filling, ratios,
streaks, running totals — is computed here once, so every backend returns identical results.

Units: ``*_min`` are minutes as floats rounded to 3 decimals (computed from integer
milliseconds), ratios are floats rounded to 4 decimals, ``None`` when the denominator is 0.

The row types a read returns by the hundred or thousand (buckets, rollup rows, calendar days,
per-video trends) are plain slotted dataclasses, not frozen ones: a frozen dataclass's
``__init__`` sets each field through ``object.__setattr__``, which made building them about
5x slower (1.3 µs against 0.27 µs for an 8-field bucket) and was a large part of the long
reads (a 365-day trends read builds ~1,100 buckets). Every read returns new objects, so a
caller that changes one changes only its own copy. The containers stay frozen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .domain import SessionCounters, day_from_number, day_number, month_key

__all__ = [
    "DEFAULT_TOP_VIDEOS",
    "GROUP_BYS",
    "LEDGER_COUNTERS",
    "PERIOD_FIELDS",
    "RANGES",
    "ActivityBucket",
    "CalendarDay",
    "DailyRollup",
    "GroupBy",
    "MonthlyRollup",
    "PeriodTotals",
    "RangeName",
    "Streak",
    "Throughput",
    "ThroughputBucket",
    "Trends",
    "VideoTrend",
    "activity_bucket",
    "bucket_key",
    "bucket_keys",
    "check_range",
    "cumulative_buckets",
    "minutes",
    "range_start",
    "ratio",
    "round4",
    "streak_from_days",
    "zero_filled_days",
]

RangeName = Literal["7d", "30d", "90d", "365d", "all"]
GroupBy = Literal["day", "month"]
RANGES: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
GROUP_BYS = ("day", "month")

# The final counters a session contributes to the ledger, the rollups and the lifetime totals
# (also their column names in SQL stores): the first nine of ``SessionCounters``.
LEDGER_COUNTERS = (
    "total_watched_ms",
    "active_watched_ms",
    "lines_seen",
    "words_seen",
    "tokens_seen",
    "cards_mined",
    "lookup_count",
    "lookup_hits",
    "dictionary_lookups",
)


# Every row of the long reads rounds a few values, and ``round(x, n)`` is slow (~0.8 µs on
# the benchmark machines: it goes through a correctly rounded decimal conversion), a third of
# the cost of building a rollup row. ``minutes`` and ``round4`` return the same float as
# ``round(ms / 60_000, 3)`` and ``round(x, 4)``, bit for bit, in about half the time: the
# rounded integer k is cheap to get, and ``k / 1000`` is the float nearest to k/1000, which is
# what ``round`` returns. Where k could differ (a tie, or a value too large for the float's
# error to stay clear of a tie) and below zero (``round`` keeps the sign of a zero: -0.0)
# they fall back to ``round``. The bounds are literals: this runs per value of a read.
# tests/test_rounding.py checks the sameness on ties, edges and many random values.


def minutes(ms: int) -> float:
    """Milliseconds to minutes rounded to 3 decimals (``round(ms / 60_000, 3)``), so every
    backend prints the same float."""
    # k is ms / 60 rounded, in integers: ms / 60 is at least 1/60 from a half unless
    # ms % 60 == 30 (exactly a half, where ``round`` of the float ms / 60_000 may go either
    # way); below 2**50 the float ms / 60_000 that ``round`` sees is far closer than that.
    if ms % 60 != 30 and 0 <= ms < 1_125_899_906_842_624:  # 2**50
        return (ms + 30) // 60 / 1000
    return round(ms / 60_000, 3)


def round4(value: float) -> float:
    """``round(value, 4)`` of a float, bit for bit, faster."""
    scaled = value * 10_000.0
    # below 2**36 the product's float error is under 1e-5, so away from a tie its nearest
    # integer is the exact product's; false for NaN and the infinities too
    if 0.0 < scaled < 68_719_476_736.0:
        nearest = round(scaled)
        if abs(scaled - nearest) < 0.49999:
            return nearest / 10_000
    return round(value, 4)


def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    """``numerator / denominator * scale`` rounded to 4 decimals; ``None`` for a zero base."""
    if not denominator:
        return None
    return round4(numerator / denominator * scale)


def range_start(range_name: str, today: dt.date, first_day: dt.date | None) -> dt.date:
    """First local day of ``range_name`` ending ``today`` (inclusive).

    ``"7d"`` covers today and the 6 days before it; ``"all"`` starts at ``first_day``
    (the first day with data; today when there is none). Raises ``ValueError`` for an unknown
    range name, listing the known ones.
    """
    if range_name not in RANGES:
        raise ValueError(f"unknown range {range_name!r}; expected one of {', '.join(RANGES)}")
    days = RANGES[range_name]
    if days is None:
        return min(first_day, today) if first_day is not None else today
    return today - dt.timedelta(days=days - 1)


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    """Summed final counters of the sessions of one period (day, month, range)."""

    sessions: int = 0
    active_watched_ms: int = 0
    lines_seen: int = 0
    words_seen: int = 0
    tokens_seen: int = 0
    cards_mined: int = 0
    lookup_count: int = 0
    lookup_hits: int = 0
    dictionary_lookups: int = 0
    total_watched_ms: int = 0

    @classmethod
    def of_session(cls, counters: SessionCounters) -> PeriodTotals:
        """One session's contribution: ``sessions=1`` and its final ledger counters."""
        return cls(sessions=1, **{name: getattr(counters, name) for name in LEDGER_COUNTERS})

    @classmethod
    def from_mapping(cls, values: Mapping[Any, Any]) -> PeriodTotals:
        """From a row with a ``sessions`` column and the ledger counters (SQL sums come back
        as ``Decimal`` on some engines, hence ``int``)."""
        return cls(**{name: int(values[name] or 0) for name in PERIOD_FIELDS})

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PERIOD_FIELDS}

    def plus(self, other: PeriodTotals) -> PeriodTotals:
        return PeriodTotals(
            **{name: getattr(self, name) + getattr(other, name) for name in PERIOD_FIELDS}
        )

    def minus(self, other: PeriodTotals) -> PeriodTotals:
        return PeriodTotals(
            **{name: getattr(self, name) - getattr(other, name) for name in PERIOD_FIELDS}
        )

    @property
    def active_min(self) -> float:
        return minutes(self.active_watched_ms)

    @property
    def words_per_min(self) -> float | None:
        return ratio(self.words_seen, self.active_watched_ms, 60_000)

    @property
    def tokens_per_min(self) -> float | None:
        return ratio(self.tokens_seen, self.active_watched_ms, 60_000)

    @property
    def cards_per_hour(self) -> float | None:
        return ratio(self.cards_mined, self.active_watched_ms, 3_600_000)

    @property
    def lookup_hit_rate(self) -> float | None:
        return ratio(self.lookup_hits, self.lookup_count)

    @property
    def lookups_per_100_tokens(self) -> float | None:
        return ratio(self.dictionary_lookups, self.tokens_seen, 100)


PERIOD_FIELDS: tuple[str, ...] = ("sessions", *LEDGER_COUNTERS)


_RollupValues = tuple[
    int, float, int, int, int, int, int, int, int, float | None, float | None, float | None
]


def _rollup_values(totals: PeriodTotals) -> _RollupValues:
    """The fields a daily and a monthly rollup row share, after the period and the video, in
    declaration order."""
    return (
        totals.sessions,
        totals.active_min,
        totals.lines_seen,
        totals.words_seen,
        totals.tokens_seen,
        totals.cards_mined,
        totals.lookup_count,
        totals.lookup_hits,
        totals.dictionary_lookups,
        totals.cards_per_hour,
        totals.words_per_min,
        totals.lookup_hit_rate,
    )


@dataclass(slots=True)  # a row of a large read: see the module docstring
class DailyRollup:
    """Totals of one video on one local day (sessions counted on the day they started)."""

    day: dt.date
    video_key: str
    sessions: int
    active_min: float
    lines_seen: int
    words_seen: int
    tokens_seen: int
    cards_mined: int
    lookup_count: int
    lookup_hits: int
    dictionary_lookups: int
    cards_per_hour: float | None
    words_per_min: float | None
    lookup_hit_rate: float | None

    @classmethod
    def of(cls, day: dt.date, video_key: str, totals: PeriodTotals) -> DailyRollup:
        return cls(day, video_key, *_rollup_values(totals))


@dataclass(slots=True)  # a row of a large read: see the module docstring
class MonthlyRollup:
    """Totals of one video in one local month (``"YYYY-MM"``); ratios computed on read."""

    month: str
    video_key: str
    sessions: int
    active_min: float
    lines_seen: int
    words_seen: int
    tokens_seen: int
    cards_mined: int
    lookup_count: int
    lookup_hits: int
    dictionary_lookups: int
    cards_per_hour: float | None
    words_per_min: float | None
    lookup_hit_rate: float | None

    @classmethod
    def of(cls, month: int, video_key: str, totals: PeriodTotals) -> MonthlyRollup:
        return cls(month_key(month), video_key, *_rollup_values(totals))


@dataclass(frozen=True, slots=True)
class Streak:
    """``current_days``: consecutive active days ending today (or yesterday when today has no
    activity yet); ``longest_days``: the longest run ever; ``active_days``: days with any
    active watch time, ever."""

    current_days: int
    longest_days: int
    active_days: int


def streak_from_days(active_days: Iterable[dt.date], today: dt.date) -> Streak:
    """The streak over a set of active local days (each counted once)."""
    numbers = sorted({day_number(day) for day in active_days})
    longest = run = 0
    previous: int | None = None
    for number in numbers:
        run = run + 1 if previous is not None and number == previous + 1 else 1
        longest = max(longest, run)
        previous = number
    present = set(numbers)
    anchor = day_number(today)
    if anchor not in present:
        anchor -= 1
    current = 0
    while anchor in present:
        current += 1
        anchor -= 1
    return Streak(current_days=current, longest_days=longest, active_days=len(numbers))


@dataclass(slots=True)  # a row of a large read: see the module docstring
class CalendarDay:
    day: dt.date
    active_min: float


def zero_filled_days(start: dt.date, end: dt.date, values: dict[dt.date, int]) -> list[CalendarDay]:
    """Every day from ``start`` to ``end`` inclusive, oldest first, with its active minutes."""
    first, last = day_number(start), day_number(end)
    return [
        CalendarDay(day=day_from_number(n), active_min=minutes(values.get(day_from_number(n), 0)))
        for n in range(first, last + 1)
    ]


@dataclass(slots=True)  # a row of a large read: see the module docstring
class ThroughputBucket:
    key: str  # "YYYY-MM-DD" or "YYYY-MM"
    active_min: float
    words_per_min: float | None
    tokens_per_min: float | None
    cards_per_hour: float | None
    lookup_hit_rate: float | None
    lookups_per_100_tokens: float | None

    @classmethod
    def of(cls, key: str, totals: PeriodTotals) -> ThroughputBucket:
        return cls(
            key=key,
            active_min=totals.active_min,
            words_per_min=totals.words_per_min,
            tokens_per_min=totals.tokens_per_min,
            cards_per_hour=totals.cards_per_hour,
            lookup_hit_rate=totals.lookup_hit_rate,
            lookups_per_100_tokens=totals.lookups_per_100_tokens,
        )


@dataclass(frozen=True, slots=True)
class Throughput:
    range: str
    group_by: str
    buckets: list[ThroughputBucket]
    overall: ThroughputBucket


@dataclass(slots=True)  # a row of a large read: see the module docstring
class ActivityBucket:
    key: str
    sessions: int
    active_min: float
    lines_seen: int
    words_seen: int
    tokens_seen: int
    cards_mined: int
    dictionary_lookups: int


@dataclass(slots=True)  # a row of a large read: see the module docstring
class VideoTrend:
    video_key: str
    title: str
    sessions: int
    active_min: float
    words_seen: int
    cards_mined: int


@dataclass(frozen=True, slots=True)
class Trends:
    """Everything a trends chart needs for one range, bucketed by day or month."""

    range: str
    group_by: str
    start: dt.date
    end: dt.date
    activity: list[ActivityBucket]
    cumulative: list[ActivityBucket]
    ratios: list[ThroughputBucket]
    by_weekday: list[float]  # active minutes, Monday first (7 entries)
    by_hour: list[float]  # active minutes by local start hour 0..23 (24 entries)
    videos: list[VideoTrend]  # the top videos by active time, most first (ties: video_key)
    video_count: int  # every video watched in the range, the ones not in ``videos`` included


# How many videos a trends read lists unless asked otherwise: what a chart's legend or a
# "top shows" table holds; ``video_count`` says how many more there are.
DEFAULT_TOP_VIDEOS = 20


def bucket_keys(start: dt.date, end: dt.date, group_by: str) -> list[str]:
    """Every bucket key of a range, oldest first: days ``YYYY-MM-DD`` or months ``YYYY-MM``."""
    if group_by not in ("day", "month"):
        raise ValueError(f"unknown group_by {group_by!r}; expected day or month")
    keys: list[str] = []
    day = start
    while day <= end:
        key = day.isoformat() if group_by == "day" else day.isoformat()[:7]
        if not keys or keys[-1] != key:
            keys.append(key)
        day += dt.timedelta(days=1)
    return keys


def bucket_key(day: dt.date, group_by: str) -> str:
    return day.isoformat() if group_by == "day" else day.isoformat()[:7]


def check_range(range_name: str, group_by: str) -> None:
    """``ValueError`` naming the valid values for an unknown range or grouping."""
    if range_name not in RANGES:
        raise ValueError(f"unknown range {range_name!r}; expected one of {', '.join(RANGES)}")
    if group_by not in GROUP_BYS:
        raise ValueError(f"unknown group_by {group_by!r}; expected day or month")


def activity_bucket(key: str, totals: PeriodTotals) -> ActivityBucket:
    return ActivityBucket(
        key=key,
        sessions=totals.sessions,
        active_min=totals.active_min,
        lines_seen=totals.lines_seen,
        words_seen=totals.words_seen,
        tokens_seen=totals.tokens_seen,
        cards_mined=totals.cards_mined,
        dictionary_lookups=totals.dictionary_lookups,
    )


def cumulative_buckets(
    keys: Sequence[str], totals: Mapping[str, PeriodTotals]
) -> list[ActivityBucket]:
    """Running totals over ``keys`` in order, summed in integers (minutes are converted once
    per bucket from the running milliseconds, so no rounding error accumulates)."""
    out: list[ActivityBucket] = []
    running = PeriodTotals()
    for key in keys:
        if key in totals:  # most buckets of a long range are empty: nothing to add
            running = running.plus(totals[key])
        out.append(activity_bucket(key, running))
    return out
