"""The learner's local calendar: day, ``YYYYMM`` month and hour of an epoch-ms instant.

Computed in Python with ``zoneinfo`` (never by the database, which would bucket in its own
zone or UTC, mistake §6 of the domain reference). ``zone=None`` means the system's local zone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["LocalTime", "local_time", "local_today", "local_weekday", "zone_named"]


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Where an instant falls on the learner's calendar."""

    day: dt.date
    month: int  # YYYYMM
    hour: int  # 0-23


def local_time(epoch_ms: int, zone: ZoneInfo | None = None) -> LocalTime:
    """The local day, month and hour of ``epoch_ms`` in ``zone`` (system zone when ``None``)."""
    seconds, millis = divmod(int(epoch_ms), 1000)
    utc = dt.datetime.fromtimestamp(seconds, tz=dt.UTC) + dt.timedelta(milliseconds=millis)
    # astimezone() without an argument converts to the system's local zone.
    local = utc.astimezone(zone) if zone is not None else utc.astimezone()
    return LocalTime(day=local.date(), month=local.year * 100 + local.month, hour=local.hour)


def local_weekday(day: dt.date) -> int:
    """The weekday of a local day, 0 = Monday ... 6 = Sunday (from the date alone: the stored
    day key is the truth, never an epoch instant)."""
    return day.weekday()


def local_today(zone: ZoneInfo | None = None) -> dt.date:
    """Today in ``zone`` (system zone when ``None``) by the system clock."""
    return local_time(time.time_ns() // 1_000_000, zone).day


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` (``None``: the system's local zone); ``ValueError`` when unknown."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
