"""Throughput, streaks, the streak calendar and trends: exact result objects.

The same recorded history must give these exact objects on every backend (floats as
``immersion.analytics`` rounds them: minutes to 3 decimals, ratios to 4).
"""

from __future__ import annotations

import datetime as dt

import pytest

from immersion.analytics import (
    ActivityBucket,
    CalendarDay,
    Streak,
    Throughput,
    ThroughputBucket,
    Trends,
    VideoTrend,
)
from immersion.store import ImmersionTrackingStore

from .builders import EP1, EP2, STREAM, requires, write
from .history import D1, D2, FEB27, march_history, videos, watched

FEB25, FEB26, FEB28 = dt.date(2026, 2, 25), dt.date(2026, 2, 26), dt.date(2026, 2, 28)
MAR1 = dt.date(2026, 3, 1)


def _empty(key: str) -> ThroughputBucket:
    return ThroughputBucket(key, 0.0, None, None, None, None, None)


FEB27_RATES = ThroughputBucket("2026-02-27", 10.0, 5.0, 6.0, 12.0, None, 0.0)
MAR2_RATES = ThroughputBucket("2026-03-02", 45.0, 11.1111, 13.7778, 5.3333, 0.7, 0.8065)
MAR3_RATES = ThroughputBucket("2026-03-03", 45.0, 20.0, 22.2222, 0.0, None, 0.0)
SEVEN_DAYS = [
    _empty("2026-02-25"),
    _empty("2026-02-26"),
    FEB27_RATES,
    _empty("2026-02-28"),
    _empty("2026-03-01"),
    MAR2_RATES,
    MAR3_RATES,
]


@pytest.fixture(autouse=True)
def _needs_rollups(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")


# ----------------------------------------------------------------- throughput


def test_throughput_by_day_exact(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.throughput("7d", "day", today=D2) == Throughput(
        range="7d",
        group_by="day",
        buckets=SEVEN_DAYS,
        overall=ThroughputBucket("2026-02-25/2026-03-03", 100.0, 14.5, 16.8, 3.6, 0.7, 0.2976),
    )


def test_throughput_by_month_exact(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.throughput("30d", "month", today=D2) == Throughput(
        range="30d",
        group_by="month",
        buckets=[
            ThroughputBucket("2026-02", 10.0, 5.0, 6.0, 12.0, None, 0.0),
            ThroughputBucket("2026-03", 90.0, 15.5556, 18.0, 2.6667, 0.7, 0.3086),
        ],
        overall=ThroughputBucket("2026-02-02/2026-03-03", 100.0, 14.5, 16.8, 3.6, 0.7, 0.2976),
    )


def test_throughput_range_edges(store: ImmersionTrackingStore) -> None:
    march_history(store)
    # "all" starts at the first ledger day
    everything = store.throughput("all", "day", today=D2)
    assert everything.buckets == SEVEN_DAYS[2:]
    assert everything.overall.key == "2026-02-27/2026-03-03"
    # a range that ends before the data: zero-filled, and the later sessions do not count
    early = store.throughput("7d", "day", today=FEB26)
    assert early.buckets[0].key == "2026-02-20"
    assert early.overall == _empty("2026-02-20/2026-02-26")
    assert len(store.throughput("365d", "day", today=D2).buckets) == 365
    assert len(store.throughput("90d", "month", today=D2).buckets) == 4  # Dec .. Mar


def test_throughput_of_an_empty_store(store: ImmersionTrackingStore) -> None:
    assert store.throughput("all", "month", today=D2) == Throughput(
        "all", "month", [_empty("2026-03")], _empty("2026-03-03/2026-03-03")
    )


@pytest.mark.parametrize("read", ["throughput", "trends"])
def test_unknown_ranges_and_groupings_are_refused(store: ImmersionTrackingStore, read: str) -> None:
    method = getattr(store, read)
    with pytest.raises(ValueError, match="7d, 30d, 90d, 365d, all"):
        method("8d", "day", today=D2)
    with pytest.raises(ValueError, match="day or month"):
        method("30d", "week", today=D2)


# ----------------------------------------------------------------- streak and calendar


def test_streak_of_the_history(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.streak(today=D2) == Streak(current_days=2, longest_days=2, active_days=3)


def test_streak_counts_from_yesterday_until_today_has_activity(
    store: ImmersionTrackingStore,
) -> None:
    jan = [dt.date(2026, 1, d) for d in (1, 2, 3, 5, 6, 7, 8, 10)]
    write(
        store,
        *videos(),
        *[w for i, day in enumerate(jan) for w in watched(f"j{i}", EP1, day, active_min=1)],
    )
    assert store.streak(today=dt.date(2026, 1, 10)) == Streak(1, 4, 8)
    assert store.streak(today=dt.date(2026, 1, 11)) == Streak(1, 4, 8)
    assert store.streak(today=dt.date(2026, 1, 9)) == Streak(4, 4, 8)
    assert store.streak(today=dt.date(2026, 1, 12)) == Streak(0, 4, 8)
    assert store.streak(today=dt.date(2026, 1, 4)) == Streak(3, 4, 8)


def test_streak_calendar_is_zero_filled_oldest_first(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.streak_calendar(days=7, today=D2) == [
        CalendarDay(FEB25, 0.0),
        CalendarDay(FEB26, 0.0),
        CalendarDay(FEB27, 10.0),
        CalendarDay(FEB28, 0.0),
        CalendarDay(MAR1, 0.0),
        CalendarDay(D1, 45.0),
        CalendarDay(D2, 45.0),  # the session still active is not in it yet
    ]
    assert store.streak_calendar(days=1, today=D2) == [CalendarDay(D2, 45.0)]
    assert store.streak_calendar(days=0, today=D2) == []
    assert len(store.streak_calendar(today=D2)) == 90


def test_today_defaults_to_the_local_date(store: ImmersionTrackingStore) -> None:
    before = dt.date.today()  # the fixture's stores use the system zone
    calendar = store.streak_calendar(days=3)
    after = dt.date.today()
    assert calendar[-1].day in {before, after}
    assert store.throughput().buckets[-1].key in {before.isoformat(), after.isoformat()}


# ----------------------------------------------------------------- trends


def _activity(key: str, *values: float) -> ActivityBucket:
    sessions, active, lines, words, tokens, cards, lookups = values
    return ActivityBucket(
        key, int(sessions), active, int(lines), int(words), int(tokens), int(cards), int(lookups)
    )


def test_trends_by_day_exact(store: ImmersionTrackingStore) -> None:
    march_history(store)
    keys = [r.key for r in SEVEN_DAYS]
    zero = (0, 0.0, 0, 0, 0, 0, 0)
    feb27 = (1, 10.0, 0, 50, 60, 2, 0)
    assert store.trends("7d", "day", today=D2) == Trends(
        range="7d",
        group_by="day",
        start=FEB25,
        end=D2,
        activity=[
            _activity(keys[0], *zero),
            _activity(keys[1], *zero),
            _activity(keys[2], *feb27),
            _activity(keys[3], *zero),
            _activity(keys[4], *zero),
            _activity(keys[5], 2, 45.0, 100, 500, 620, 4, 5),
            _activity(keys[6], 1, 45.0, 200, 900, 1000, 0, 0),
        ],
        cumulative=[
            _activity(keys[0], *zero),
            _activity(keys[1], *zero),
            _activity(keys[2], *feb27),
            _activity(keys[3], *feb27),
            _activity(keys[4], *feb27),
            _activity(keys[5], 3, 55.0, 100, 550, 680, 6, 5),
            _activity(keys[6], 4, 100.0, 300, 1450, 1680, 6, 5),
        ],
        ratios=SEVEN_DAYS,
        # Monday (Mar 2): 30 + 15; Tuesday (Mar 3): 45; Friday (Feb 27): 10
        by_weekday=[45.0, 45.0, 0.0, 0.0, 10.0, 0.0, 0.0],
        by_hour=[
            *[0.0] * 8,
            45.0,  # 08:00
            *[0.0] * 11,
            30.0,  # 20:00
            15.0,  # 21:00
            0.0,
            10.0,  # 23:00
        ],
        videos=[
            VideoTrend(EP1, "Episode 1", 3, 85.0, 1350, 5),
            VideoTrend(EP2, "Episode 2", 1, 15.0, 100, 1),
        ],
        video_count=2,
    )


def test_trends_by_month_and_all(store: ImmersionTrackingStore) -> None:
    march_history(store)
    trends = store.trends("all", "month", today=D2)
    assert (trends.start, trends.end) == (FEB27, D2)
    assert trends.activity == [
        _activity("2026-02", 1, 10.0, 0, 50, 60, 2, 0),
        _activity("2026-03", 3, 90.0, 300, 1400, 1620, 4, 5),
    ]
    assert trends.cumulative[-1] == _activity("2026-03", 4, 100.0, 300, 1450, 1680, 6, 5)
    assert [r.key for r in trends.ratios] == ["2026-02", "2026-03"]
    # the range ends on Mar 2: Mar 3's session is outside it
    short = store.trends("7d", "month", today=D1)
    assert short.activity[-1] == _activity("2026-03", 2, 45.0, 100, 500, 620, 4, 5)


def test_trends_videos_tie_by_key(store: ImmersionTrackingStore) -> None:
    write(
        store,
        *videos(),
        *watched("c", STREAM, D1, active_min=5, words=1),
        *watched("b", EP2, D1, active_min=5, words=2),
        *watched("a", EP1, D1, active_min=2, words=3),
    )
    assert [v.video_key for v in store.trends("7d", today=D1).videos] == [EP2, STREAM, EP1]


def test_trends_list_the_top_videos_and_count_them_all(store: ImmersionTrackingStore) -> None:
    write(
        store,
        *videos(),
        *watched("c", STREAM, D1, active_min=5, words=1),
        *watched("b", EP2, D1, active_min=5, words=2),
        *watched("a", EP1, D1, active_min=9, words=3),
    )
    every = store.trends("7d", today=D1, top_videos=None)
    assert [v.video_key for v in every.videos] == [EP1, EP2, STREAM]
    assert every.video_count == 3
    top = store.trends("7d", today=D1, top_videos=2)
    assert top.videos == every.videos[:2]  # the tie at 5 min breaks by key, as in the full list
    assert top.video_count == 3
    assert top.activity == every.activity
    none = store.trends("7d", today=D1, top_videos=0)
    assert (none.videos, none.video_count) == ([], 3)
    assert store.trends("7d", today=D1).videos == every.videos  # 20 by default
    for wrong in (-1, "5", 2.0, True):
        with pytest.raises(ValueError, match="top_videos"):
            store.trends("7d", today=D1, top_videos=wrong)  # type: ignore[arg-type]


def test_trends_of_an_empty_store(store: ImmersionTrackingStore) -> None:
    trends = store.trends("90d", "day", today=D2)
    assert len(trends.activity) == len(trends.cumulative) == len(trends.ratios) == 90
    assert trends.videos == []
    assert trends.video_count == 0
    assert trends.by_weekday == [0.0] * 7
    assert trends.by_hour == [0.0] * 24
