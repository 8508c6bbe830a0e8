"""Local day, month and hour are computed in the configured zone, near midnight too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from immersion import Tracker
from immersion.localtime import local_time
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock

# 2026-01-31T15:30:00Z: already 2026-02-01 00:30 in Tokyo, still Jan 31 in New York.
INSTANT_MS = 1_769_873_400_000
TOKYO_MIDNIGHT_MS = INSTANT_MS - 30 * 60_000  # 2026-01-31T15:00:00Z


def test_local_time_in_a_zone() -> None:
    tokyo = local_time(INSTANT_MS, ZoneInfo("Asia/Tokyo"))
    assert (tokyo.day, tokyo.month, tokyo.hour) == (dt.date(2026, 2, 1), 202602, 0)
    new_york = local_time(INSTANT_MS, ZoneInfo("America/New_York"))
    assert (new_york.day, new_york.month, new_york.hour) == (dt.date(2026, 1, 31), 202601, 10)
    utc = local_time(INSTANT_MS - 1, ZoneInfo("UTC"))
    assert (utc.day, utc.hour) == (dt.date(2026, 1, 31), 15)


def test_system_zone_is_the_default() -> None:
    expected = dt.datetime.fromtimestamp(INSTANT_MS / 1000).astimezone()
    got = local_time(INSTANT_MS)
    assert (got.day, got.hour) == (expected.date(), expected.hour)


def test_dst_change_uses_the_right_offset() -> None:
    # 2026-03-29 01:30 UTC: Berlin has just jumped from 02:00 to 03:00 local (CEST).
    berlin = local_time(1_774_747_800_000, ZoneInfo("Europe/Berlin"))
    assert (berlin.day, berlin.hour) == (dt.date(2026, 3, 29), 3)


def test_sessions_store_the_local_day_they_started_on() -> None:
    clock = ManualClock(TOKYO_MIDNIGHT_MS - 60_000)  # 23:59 in Tokyo, 15:59 in UTC
    store = MemoryStore()

    with Tracker(store, {"timezone": "Asia/Tokyo"}, clock=clock) as tracker:
        tracker.handle_media_change("/anime/late.mkv")
        session_uuid = tracker.session.session_uuid if tracker.session else ""
        clock.advance(120_000)  # crosses midnight while watching
        tracker.handle_media_change("/anime/after-midnight.mkv")
        second_uuid = tracker.session.session_uuid if tracker.session else ""
    first = store.get_session(session_uuid)
    second = store.get_session(second_uuid)
    assert first is not None and second is not None
    assert (first.local_day, first.local_month, first.local_hour) == (
        dt.date(2026, 1, 31),
        202601,
        23,
    )
    assert (second.local_day, second.local_month, second.local_hour) == (
        dt.date(2026, 2, 1),
        202602,
        0,
    )
