"""The learner's local calendar: day, ``YYYYMM`` month and hour of an epoch-ms instant.

Computed in Python with ``zoneinfo`` (never by the database, which would bucket in its own
zone or UTC, mistake §6 of the domain reference). ``zone=None`` means the system's local zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = ["LocalTime", "local_time"]


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
