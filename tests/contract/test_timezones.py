"""Local days, months, hours and weekdays across midnight, DST, month and year boundaries.

``immersion.localtime`` computes the keys (the tracker stores them with each session); every
store must bucket by those stored keys. Instants are written in UTC on purpose: on each of
these days the UTC date, month or hour differs from the local one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from immersion.config import StorageConfig, TrackerConfig
from immersion.localtime import local_time, local_today, local_weekday
from immersion.store import ImmersionTrackingStore
from immersion.stores.memory import MemoryStore
from immersion.stores.registry import create_store
from immersion.writes import FinalizeSession, StartSession, Write

from .builders import EP1, MINUTE, requires, write
from .history import counters, videos

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(text: str) -> int:
    """``"2026-03-08T06:30"`` (UTC) in epoch ms."""
    moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


@pytest.mark.parametrize(
    "instant,zone,day,month,hour,weekday",
    [
        # New York, spring forward on 2026-03-08 (02:00 EST -> 03:00 EDT at 07:00 UTC)
        ("2026-03-08T04:30", NEW_YORK, "2026-03-07", 202603, 23, 5),  # Sat 23:30 EST
        ("2026-03-08T06:59", NEW_YORK, "2026-03-08", 202603, 1, 6),  # 01:59 EST
        ("2026-03-08T07:00", NEW_YORK, "2026-03-08", 202603, 3, 6),  # 03:00 EDT
        ("2026-03-09T03:59", NEW_YORK, "2026-03-08", 202603, 23, 6),  # 23:59 EDT
        # New York, fall back on 2026-11-01 (01:00-02:00 happens twice)
        ("2026-11-01T03:30", NEW_YORK, "2026-10-31", 202610, 23, 5),  # month boundary
        ("2026-11-01T05:30", NEW_YORK, "2026-11-01", 202611, 1, 6),  # 01:30 EDT
        ("2026-11-01T06:30", NEW_YORK, "2026-11-01", 202611, 1, 6),  # 01:30 EST
        ("2026-11-02T04:59", NEW_YORK, "2026-11-01", 202611, 23, 6),  # 23:59 EST
        # Berlin: year boundary, and fall back on 2026-10-25 (02:00-03:00 twice)
        ("2025-12-31T22:30", BERLIN, "2025-12-31", 202512, 23, 2),
        ("2025-12-31T23:30", BERLIN, "2026-01-01", 202601, 0, 3),
        ("2026-10-25T00:30", BERLIN, "2026-10-25", 202610, 2, 6),  # 02:30 CEST
        ("2026-10-25T01:30", BERLIN, "2026-10-25", 202610, 2, 6),  # 02:30 CET
        ("2026-03-29T01:30", BERLIN, "2026-03-29", 202603, 3, 6),  # spring forward
        # Tokyo: already tomorrow (and next month) while UTC is still today
        ("2026-01-31T14:30", TOKYO, "2026-01-31", 202601, 23, 5),
        ("2026-01-31T15:30", TOKYO, "2026-02-01", 202602, 0, 6),
    ],
)
def test_local_keys_of_an_instant(
    instant: str, zone: ZoneInfo, day: str, month: int, hour: int, weekday: int
) -> None:
    got = local_time(utc(instant), zone)
    assert (got.day, got.month, got.hour) == (dt.date.fromisoformat(day), month, hour)
    assert local_weekday(got.day) == weekday


def _session(uuid: str, instant: str, zone: ZoneInfo, active_min: float) -> list[Write]:
    """A session started at ``instant`` with the keys the tracker would store."""
    at = utc(instant)
    when = local_time(at, zone)
    return [
        StartSession(uuid, EP1, at, when.day, when.month, when.hour),
        FinalizeSession(uuid, at + 60 * MINUTE, counters(active_min=active_min)),
    ]


def test_stores_bucket_new_york_dst_days_by_local_keys(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")
    write(
        store,
        *videos(),
        *_session("d", "2026-03-08T04:30", NEW_YORK, 5),  # Mar 7, 23h
        *_session("a", "2026-03-08T06:30", NEW_YORK, 10),  # Mar 8, 1h
        *_session("b", "2026-03-08T07:30", NEW_YORK, 20),  # Mar 8, 3h
        *_session("c", "2026-03-09T03:30", NEW_YORK, 30),  # Mar 8, 23h
        *_session("g", "2026-11-01T03:30", NEW_YORK, 9),  # Oct 31, 23h
        *_session("e", "2026-11-01T05:30", NEW_YORK, 7),  # Nov 1, 1h (EDT)
        *_session("f", "2026-11-01T06:30", NEW_YORK, 8),  # Nov 1, 1h (EST)
    )
    days = [(r.day.isoformat(), r.sessions, r.active_min) for r in store.daily_rollups()]
    assert days == [
        ("2026-11-01", 2, 15.0),
        ("2026-10-31", 1, 9.0),
        ("2026-03-08", 3, 60.0),
        ("2026-03-07", 1, 5.0),
    ]
    months = [(r.month, r.sessions, r.active_min) for r in store.monthly_rollups()]
    assert months == [("2026-11", 2, 15.0), ("2026-10", 1, 9.0), ("2026-03", 4, 65.0)]
    trends = store.trends("365d", "month", today=dt.date(2026, 11, 1))
    assert trends.by_weekday == [0.0, 0.0, 0.0, 0.0, 0.0, 14.0, 75.0]  # Saturdays, Sundays
    assert [(h, m) for h, m in enumerate(trends.by_hour) if m] == [(1, 25.0), (3, 20.0), (23, 44.0)]
    calendar = store.streak_calendar(days=2, today=dt.date(2026, 3, 8))
    assert [(c.day.isoformat(), c.active_min) for c in calendar] == [
        ("2026-03-07", 5.0),
        ("2026-03-08", 60.0),
    ]


def test_stores_bucket_berlin_year_boundary_by_local_keys(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")
    write(
        store,
        *videos(),
        *_session("eve", "2025-12-31T22:30", BERLIN, 30),
        *_session("new", "2025-12-31T23:30", BERLIN, 40),
        *_session("cest", "2026-10-25T00:30", BERLIN, 1),
        *_session("cet", "2026-10-25T01:30", BERLIN, 2),
    )
    assert [(r.day.isoformat(), r.active_min) for r in store.daily_rollups()] == [
        ("2026-10-25", 3.0),
        ("2026-01-01", 40.0),
        ("2025-12-31", 30.0),
    ]
    assert [r.month for r in store.monthly_rollups()] == ["2026-10", "2026-01", "2025-12"]
    streak = store.streak(today=dt.date(2026, 1, 1))
    assert (streak.current_days, streak.longest_days) == (2, 2)  # across the year boundary
    throughput = store.throughput("7d", "month", today=dt.date(2026, 1, 2))
    assert [(b.key, b.active_min) for b in throughput.buckets] == [
        ("2025-12", 30.0),
        ("2026-01", 40.0),
    ]


# ----------------------------------------------------------------- the store's own zone

# 25 hours apart: their dates always differ, whatever the time of day.
EARLY, LATE = "Pacific/Kiritimati", "Pacific/Pago_Pago"


def _zoned(kind: str, zone: str, tmp_path: Path) -> ImmersionTrackingStore:
    storage = (
        StorageConfig(provider="memory")
        if kind == "memory"
        else StorageConfig(provider="sqlite", path=tmp_path / f"{zone.replace('/', '_')}.sqlite")
    )
    store = create_store(TrackerConfig(storage=storage, timezone=zone))
    store.create_or_upgrade_schema()
    return store


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_today_is_taken_in_the_configured_zone(kind: str, tmp_path: Path) -> None:
    for zone in (EARLY, LATE):
        store = _zoned(kind, zone, tmp_path)
        try:
            before = local_today(ZoneInfo(zone))
            [day] = store.streak_calendar(days=1)
            after = local_today(ZoneInfo(zone))
            assert day.day in {before, after}, zone
            assert store.trends("7d").end in {before, after}
        finally:
            store.close()


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        MemoryStore(timezone="Mars/Olympus_Mons")
