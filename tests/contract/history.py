"""Builders for the analytics contract: sessions on explicit local days, fresh stores.

The tracker computes a session's local day, month and hour in the learner's zone; at the store
level the tests set them explicitly (``local_start``), so a store that derived days from
epoch milliseconds would be caught.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from immersion.analytics import DailyRollup, MonthlyRollup
from immersion.domain import SessionCounters
from immersion.store import ImmersionTrackingStore, PruneCutoffs
from immersion.writes import FinalizeSession, StartSession, Write

from .builders import EP1, EP2, MINUTE, STREAM, make_video, sample, write

VIDEOS = (EP1, EP2, STREAM)
D1 = dt.date(2026, 3, 2)  # a Monday
D2 = dt.date(2026, 3, 3)
FEB27 = dt.date(2026, 2, 27)  # a Friday


def utc_ms(day: dt.date, hour: int = 0, minute: int = 0) -> int:
    moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def local_start(
    uuid: str, video_key: str, day: dt.date, hour: int = 20, started_at_ms: int | None = None
) -> StartSession:
    """A session start on local ``day`` at local ``hour``; the instant defaults to that wall
    time read as UTC, but may be any (a store must bucket by ``day``, not by the instant)."""
    at = utc_ms(day, hour) if started_at_ms is None else started_at_ms
    return StartSession(uuid, video_key, at, day, day.year * 100 + day.month, hour)


def counters(
    *,
    active_min: float = 0,
    total_min: float | None = None,
    lines: int = 0,
    words: int = 0,
    tokens: int = 0,
    cards: int = 0,
    lookups: int = 0,
    hits: int = 0,
    dictionary: int = 0,
    **extra: int,
) -> SessionCounters:
    active_ms = round(active_min * MINUTE)
    return SessionCounters(
        total_watched_ms=active_ms if total_min is None else round(total_min * MINUTE),
        active_watched_ms=active_ms,
        lines_seen=lines,
        words_seen=words,
        tokens_seen=tokens,
        cards_mined=cards,
        lookup_count=lookups,
        lookup_hits=hits,
        dictionary_lookups=dictionary,
        **extra,
    )


def watched(
    uuid: str,
    video_key: str,
    day: dt.date,
    hour: int = 20,
    *,
    started_at_ms: int | None = None,
    **values: Any,
) -> list[Write]:
    """Start and finalize one session on local ``day``; it ends after its total time."""
    start = local_start(uuid, video_key, day, hour, started_at_ms)
    final = counters(**values)
    end = start.started_at_ms + max(final.total_watched_ms, MINUTE)
    return [start, FinalizeSession(uuid, end, final)]


def videos() -> list[Write]:
    return [
        make_video(EP1, "Episode 1"),
        make_video(EP2, "Episode 2"),
        make_video(STREAM, "Stream"),
    ]


def rollup_cutoffs(
    daily: dt.date | None = None, monthly: int | None = None, *, sessions: int | None = None
) -> PruneCutoffs:
    return PruneCutoffs(None, None, sessions, daily, monthly)


def emptied(store: ImmersionTrackingStore) -> ImmersionTrackingStore:
    """An empty store of the same kind, cheaply (hypothesis examples need one each).

    A memory store is replaced; a SQL store has every row deleted and its id caches cleared
    (test-only knowledge of ``SqlStore``: creating a server database per example is slow).
    """
    from immersion.stores.memory import MemoryStore
    from immersion.stores.sql import SqlStore, metadata

    if isinstance(store, MemoryStore):
        return MemoryStore()
    if isinstance(store, SqlStore):
        with store.engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
        store._writer.video_ids.clear()
        store._writer.session_ids.clear()
        return store
    raise TypeError(f"do not know how to empty {type(store).__name__}")


def march_history(store: ImmersionTrackingStore) -> None:
    """The history most analytics tests read: 3 videos, 4 ended sessions over Feb 27, Mar 2
    and Mar 3 2026 (local days), and one session still active on Mar 3."""
    write(
        store,
        *videos(),
        *watched(
            "s1",
            EP1,
            D1,
            20,
            active_min=30,
            total_min=40,
            lines=100,
            words=400,
            tokens=500,
            cards=3,
            lookups=10,
            hits=7,
            dictionary=5,
        ),
        *watched("s2", EP2, D1, 21, active_min=15, words=100, tokens=120, cards=1),
        *watched("s3", EP1, D2, 8, active_min=45, lines=200, words=900, tokens=1000),
        *watched("s4", EP1, FEB27, 23, active_min=10, words=50, tokens=60, cards=2),
        # still active: not in any rollup until it ends
        local_start("live", EP1, D2, 21),
        sample("live", 1, utc_ms(D2, 21, 30), active_watched_ms=30 * MINUTE, words_seen=99),
    )


# The rollup rows of ``march_history``.
D2_EP1 = DailyRollup(D2, EP1, 1, 45.0, 200, 900, 1000, 0, 0, 0, 0, 0.0, 20.0, None)
D1_EP1 = DailyRollup(D1, EP1, 1, 30.0, 100, 400, 500, 3, 10, 7, 5, 6.0, 13.3333, 0.7)
D1_EP2 = DailyRollup(D1, EP2, 1, 15.0, 0, 100, 120, 1, 0, 0, 0, 4.0, 6.6667, None)
FEB27_EP1 = DailyRollup(FEB27, EP1, 1, 10.0, 0, 50, 60, 2, 0, 0, 0, 12.0, 5.0, None)

MARCH_EP1 = MonthlyRollup("2026-03", EP1, 2, 75.0, 300, 1300, 1500, 3, 10, 7, 5, 2.4, 17.3333, 0.7)
MARCH_EP2 = MonthlyRollup("2026-03", EP2, 1, 15.0, 0, 100, 120, 1, 0, 0, 0, 4.0, 6.6667, None)
FEB_EP1 = MonthlyRollup("2026-02", EP1, 1, 10.0, 0, 50, 60, 2, 0, 0, 0, 12.0, 5.0, None)
