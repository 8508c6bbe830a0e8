"""The row shapes of the analytics primitives, and the results built straight from them.

The primitives of ``analytics_reads.AnalyticsSource`` return plain tuples of ints (and keys),
positional rather than named: an analytics read returns up to a few thousand rows, and per
row a named lookup, a dict or an intermediate ``PeriodTotals`` costs more than the database.
The functions here turn such rows into the result objects of ``immersion.analytics`` with the
same arithmetic as ``PeriodTotals`` (``minutes``, ``ratio``), so every result is identical to
the one built through ``PeriodTotals``.

Summed ledger counters (*sums*) are ten ints in ``PERIOD_FIELDS`` order::

    sessions, total_watched_ms, active_watched_ms, lines_seen, words_seen, tokens_seen,
    cards_mined, lookup_count, lookup_hits, dictionary_lookups
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from typing import Any, Final, TypeVar

from ..analytics import (
    PERIOD_FIELDS,
    ActivityBucket,
    CalendarDay,
    DailyRollup,
    MonthlyRollup,
    PeriodTotals,
    Streak,
    ThroughputBucket,
    minutes,
    round4,
)
from ..domain import EPOCH_DAY, month_key

_RollupT = TypeVar("_RollupT", DailyRollup, MonthlyRollup)

__all__ = [
    "EMPTY_SUMS",
    "GROUP_FIRST",
    "GROUP_PERIOD",
    "GROUP_WEEKDAY",
    "Row",
    "Sums",
    "activity_buckets",
    "calendar_days",
    "daily_rollups",
    "date_of",
    "day_keys",
    "hours_and_videos",
    "month_keys",
    "monthly_rollups",
    "ranked_videos",
    "streak_of",
    "sums_of",
    "throughput_bucket",
    "top_candidates",
    "weekday_of",
]

Row = tuple[Any, ...]
Sums = tuple[int, ...]

EMPTY_SUMS: Final[Sums] = (0,) * len(PERIOD_FIELDS)

# The kinds of the rows of ``AnalyticsSource.ledger_summary``: (kind, group, *sums).
GROUP_PERIOD: Final = 0  # group: day number or YYYYMM; all sums
GROUP_WEEKDAY: Final = 1  # group: 0 = Monday; only active_watched_ms is summed (others 0)
GROUP_FIRST: Final = 3  # group: the range's earliest local_day (None: empty); no sums (0)

_EPOCH_ORDINAL = EPOCH_DAY.toordinal()
# Day number -> date and ISO key: charts ask for the same days again and again. Bounded so a
# long-lived process that is asked about arbitrary days cannot grow it without end.
_DATES: dict[int, dt.date] = {}
_ISO_DAYS: dict[int, str] = {}
_CACHE_LIMIT = 50_000


def sums_of(totals: PeriodTotals) -> Sums:
    """``totals`` as a sums tuple."""
    return (
        totals.sessions,
        totals.total_watched_ms,
        totals.active_watched_ms,
        totals.lines_seen,
        totals.words_seen,
        totals.tokens_seen,
        totals.cards_mined,
        totals.lookup_count,
        totals.lookup_hits,
        totals.dictionary_lookups,
    )


def date_of(number: int) -> dt.date:
    """``domain.day_from_number``, cached."""
    found = _DATES.get(number)
    if found is None:
        if len(_DATES) >= _CACHE_LIMIT:
            _DATES.clear()
        found = _DATES[number] = dt.date.fromordinal(number + _EPOCH_ORDINAL)
    return found


def _iso_day(number: int) -> str:
    found = _ISO_DAYS.get(number)
    if found is None:
        if len(_ISO_DAYS) >= _CACHE_LIMIT:
            _ISO_DAYS.clear()
        found = _ISO_DAYS[number] = date_of(number).isoformat()
    return found


def weekday_of(number: int) -> int:
    """``localtime.local_weekday`` of a day number (0 = Monday; day 0 was a Thursday)."""
    return (number + 3) % 7


def day_keys(first: int, last: int) -> list[tuple[str, int]]:
    """``(YYYY-MM-DD, day number)`` of every day from ``first`` to ``last`` (day numbers)."""
    return [(_iso_day(number), number) for number in range(first, last + 1)]


def month_keys(first: int, last: int) -> list[tuple[str, int]]:
    """``(YYYY-MM, YYYYMM)`` of every month touched by the days ``first`` to ``last``."""
    start, end = date_of(first), date_of(last)
    year, month = start.year, start.month
    keys: list[tuple[str, int]] = []
    while (year, month) <= (end.year, end.month):
        number = year * 100 + month
        keys.append((month_key(number), number))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


# ----------------------------------------------------------------- results from sums
#
# Each expression is the one of ``analytics.ratio`` (``x * 1.0`` is ``x`` exactly, so the hit
# rate skips it), so the floats are bit for bit the same.


def throughput_bucket(key: str, sums: Sums) -> ThroughputBucket:
    """``ThroughputBucket.of(key, totals)`` from sums."""
    _, _, active, _, words, tokens, cards, lookups, hits, dictionary = sums
    if not active:
        return ThroughputBucket(
            key,
            minutes(active),
            None,
            None,
            None,
            None if not lookups else round4(hits / lookups),
            None if not tokens else round4(dictionary / tokens * 100),
        )
    return ThroughputBucket(
        key,
        minutes(active),
        round4(words / active * 60_000),
        round4(tokens / active * 60_000),
        round4(cards / active * 3_600_000),
        None if not lookups else round4(hits / lookups),
        None if not tokens else round4(dictionary / tokens * 100),
    )


def activity_buckets(
    keys: list[tuple[str, int]], groups: dict[int, Sums]
) -> tuple[list[ActivityBucket], list[ActivityBucket], list[ThroughputBucket]]:
    """Per bucket key, oldest first: activity, running totals, and ratios.

    The running totals are summed in integers (minutes converted once per bucket), as
    ``analytics.cumulative_buckets`` does; an empty bucket repeats the previous values.
    This runs once per day of a range (365 for a year): ``throughput_bucket`` is written out
    inline, with the same expressions.
    """
    activity: list[ActivityBucket] = []
    cumulative: list[ActivityBucket] = []
    ratios: list[ThroughputBucket] = []
    add_activity, add_cumulative, add_ratio = activity.append, cumulative.append, ratios.append
    bucket, rates, get = ActivityBucket, ThroughputBucket, groups.get
    # running totals of ActivityBucket's counters, and its fields after the key
    r_sessions = r_active = r_lines = r_words = r_tokens = r_cards = r_dictionary = 0
    totals: tuple[Any, ...] = (0, 0.0, 0, 0, 0, 0, 0)
    for key, group in keys:
        sums = get(group)
        if sums is None:  # nothing to compute: zeros, and the running totals again
            add_activity(bucket(key, 0, 0.0, 0, 0, 0, 0, 0))
            add_ratio(rates(key, 0.0, None, None, None, None, None))
            add_cumulative(bucket(key, *totals))
            continue
        sessions, _, active, lines, words, tokens, cards, lookups, hits, dictionary = sums
        active_min = minutes(active)
        add_activity(bucket(key, sessions, active_min, lines, words, tokens, cards, dictionary))
        hit_rate = None if not lookups else round4(hits / lookups)
        per_100 = None if not tokens else round4(dictionary / tokens * 100)
        if active:
            add_ratio(
                rates(
                    key,
                    active_min,
                    round4(words / active * 60_000),
                    round4(tokens / active * 60_000),
                    round4(cards / active * 3_600_000),
                    hit_rate,
                    per_100,
                )
            )
        else:
            add_ratio(rates(key, active_min, None, None, None, hit_rate, per_100))
        r_sessions += sessions
        r_active += active
        r_lines += lines
        r_words += words
        r_tokens += tokens
        r_cards += cards
        r_dictionary += dictionary
        totals = (
            r_sessions,
            minutes(r_active),
            r_lines,
            r_words,
            r_tokens,
            r_cards,
            r_dictionary,
        )
        add_cumulative(bucket(key, *totals))
    return activity, cumulative, ratios


def daily_rollups(rows: list[Row]) -> list[DailyRollup]:
    """``DailyRollup.of`` of each ``(day number, video_key, *sums)`` row, in order."""
    return _rollups(rows, DailyRollup, date_of)


def monthly_rollups(rows: list[Row]) -> list[MonthlyRollup]:
    """``MonthlyRollup.of`` of each ``(YYYYMM, video_key, *sums)`` row, in order."""
    months: dict[int, str] = {}

    def label(period: int) -> str:
        return months.get(period) or months.setdefault(period, month_key(period))

    return _rollups(rows, MonthlyRollup, label)


def _rollups(
    rows: list[Row], build: Callable[..., _RollupT], label: Callable[[int], object]
) -> list[_RollupT]:
    """Rollup rows built positionally (the hot path of the rollup reads): the period as
    ``label`` makes it, the video key, the sums and the ratios computed on read."""
    return [
        build(
            label(period),
            key,
            sessions,
            minutes(active),
            lines,
            words,
            tokens,
            cards,
            lookups,
            hits,
            dictionary,
            None if not active else round4(cards / active * 3_600_000),
            None if not active else round4(words / active * 60_000),
            None if not lookups else round4(hits / lookups),
        )
        for (
            period,
            key,
            sessions,
            _,
            active,
            lines,
            words,
            tokens,
            cards,
            lookups,
            hits,
            dictionary,
        ) in rows
    ]


# ----------------------------------------------------------------- day activity


def streak_of(numbers: list[int], today: int) -> Streak:
    """``analytics.streak_from_days`` over sorted, distinct day numbers."""
    longest = run = 0
    previous = None
    for number in numbers:
        run = run + 1 if previous is not None and number == previous + 1 else 1
        if run > longest:
            longest = run
        previous = number
    # Walk back from the newest active day not after today.
    index = len(numbers) - 1
    while index >= 0 and numbers[index] > today:
        index -= 1
    anchor = today if index >= 0 and numbers[index] == today else today - 1
    current = 0
    while index >= 0 and numbers[index] == anchor - current:
        current += 1
        index -= 1
    return Streak(current_days=current, longest_days=longest, active_days=len(numbers))


def calendar_days(first: int, last: int, active_ms: dict[int, int]) -> list[CalendarDay]:
    """``analytics.zero_filled_days`` over day numbers."""
    return [
        CalendarDay(date_of(number), minutes(active_ms.get(number, 0)))
        for number in range(first, last + 1)
    ]


# ----------------------------------------------------------------- the hours and videos of trends


def hours_and_videos(brief: list[Row]) -> tuple[list[int], dict[Any, list[int]]]:
    """Active ms per start hour, and ``[sessions, active ms, words, cards]`` per video, of
    ``AnalyticsSource.ledger_brief`` rows."""
    hours = [0] * 24
    per_video: dict[Any, list[int]] = {}
    get = per_video.get
    for video, hour, active, words, cards in brief:
        hours[hour] += active
        sums = get(video)
        if sums is None:
            per_video[video] = [1, active, words, cards]
        else:
            sums[0] += 1
            sums[1] += active
            sums[2] += words
            sums[3] += cards
    return hours, per_video


def top_candidates(per_video: dict[Any, list[int]], limit: int | None) -> dict[Any, list[int]]:
    """The videos that may be among the ``limit`` most active (all of them for ``None``):
    the first ``limit`` by active time and every video tied with the last of them, as the
    tie is broken by key and only their names tell the keys."""
    if limit is None or len(per_video) <= limit:
        return per_video
    if limit == 0:
        return {}
    cutoff = heapq.nlargest(limit, (sums[1] for sums in per_video.values()))[-1]
    return {video: sums for video, sums in per_video.items() if sums[1] >= cutoff}


def ranked_videos(
    chosen: dict[Any, list[int]], names: dict[Any, tuple[str, str | None]], limit: int | None
) -> list[Row]:
    """``(video_key, title, sessions, active ms, words, cards)`` of the ``chosen`` videos,
    most active first, ties by key (code point order), the first ``limit``."""
    rows: list[Row] = [(*names[video], *sums) for video, sums in chosen.items()]
    rows.sort(key=_by_activity)
    return rows if limit is None else rows[:limit]


def _by_activity(row: Row) -> tuple[int, str]:
    return -row[3], row[0]
