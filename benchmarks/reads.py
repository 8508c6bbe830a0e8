"""Every analytics read of the store: p50/p95/p99 over many runs with varied arguments.

Each read runs ``runs`` times (200 by default) after a few warm-up calls, each time with
arguments drawn from the loaded history: a different session, video, limit, range, grouping
or "today" (one of the history's last 30 days), so no run is a repeat of a cached call. The
only read without arguments to vary is ``video_stats`` of every video. Reads the store does not
have (an older store without the analytics reads) are listed as missing.
"""

from __future__ import annotations

import datetime as dt
import inspect
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from immersion.domain import EventType
from immersion.store import ImmersionTrackingStore

from .generator import History
from .timing import summarize

__all__ = ["READS", "WARMUP", "ReadCase", "ReadPools", "calls_of", "measure_reads"]

WARMUP = 5
_DAY_MS = 86_400_000
_Arguments = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass(frozen=True)
class ReadPools:
    """What the varied arguments are drawn from."""

    sessions: list[str]
    videos: list[str]
    days: list[dt.date]  # candidates for ``today``

    @classmethod
    def of(cls, history: History) -> ReadPools:
        summary = history.summary
        # Sessions of the oldest days may be pruned by the maintenance pass: leave them out.
        since = (summary.first_ms or 0) + 2 * _DAY_MS
        recent = [uuid for uuid, start, _ in summary.session_list if start > since]
        last = summary.last_day(history.zone)
        return cls(
            sessions=recent or [uuid for uuid, _, _ in summary.session_list],
            videos=list(summary.video_keys),
            days=[last - dt.timedelta(days=back) for back in range(30)],
        )


@dataclass(frozen=True)
class ReadCase:
    """One read: the store method and how to draw its arguments."""

    name: str
    method: str
    arguments: Callable[[random.Random, ReadPools], _Arguments]


def _none(rng: random.Random, pools: ReadPools) -> _Arguments:
    return (), {}


def _trends(range_name: str) -> Callable[[random.Random, ReadPools], _Arguments]:
    def arguments(rng: random.Random, pools: ReadPools) -> _Arguments:
        group_by = rng.choice(("day", "month"))
        return (), {"range": range_name, "group_by": group_by, "today": rng.choice(pools.days)}

    return arguments


def _maybe_video(rng: random.Random, pools: ReadPools) -> str | None:
    return rng.choice(pools.videos) if rng.random() < 0.3 else None


def _daily(rng: random.Random, pools: ReadPools) -> _Arguments:
    limit = rng.choice((7, 30, 60, 365))
    return (), {"limit_days": limit, "video_key": _maybe_video(rng, pools)}


def _monthly(rng: random.Random, pools: ReadPools) -> _Arguments:
    limit = rng.choice((3, 12, 24))
    return (), {"limit_months": limit, "video_key": _maybe_video(rng, pools)}


_LINES = [EventType.SUBTITLE_LINE]
_MINING = [EventType.CARD_MINED, EventType.DICTIONARY_LOOKUP]

READS: tuple[ReadCase, ...] = (
    ReadCase(
        "session_summaries",
        "session_summaries",
        lambda rng, p: ((), {"limit": rng.choice((10, 20, 50, 100))}),
    ),
    ReadCase(
        "session_summaries(video)",
        "session_summaries",
        lambda rng, p: ((), {"limit": rng.choice((10, 50)), "video_key": rng.choice(p.videos)}),
    ),
    ReadCase(
        "session_timeline",
        "session_timeline",
        lambda rng, p: ((rng.choice(p.sessions),), {"limit": rng.choice((None, 100))}),
    ),
    ReadCase(
        "session_events",
        "session_events",
        lambda rng, p: ((rng.choice(p.sessions),), {"limit": 500}),
    ),
    ReadCase(
        "session_events(types)",
        "session_events",
        lambda rng, p: (
            (rng.choice(p.sessions),),
            {"limit": 500, "event_types": rng.choice((_LINES, _MINING))},
        ),
    ),
    ReadCase("video_stats(one)", "video_stats", lambda rng, p: ((rng.choice(p.videos),), {})),
    ReadCase("video_stats(all)", "video_stats", _none),
    ReadCase("daily_rollups", "daily_rollups", _daily),
    ReadCase("monthly_rollups", "monthly_rollups", _monthly),
    ReadCase(
        "throughput",
        "throughput",
        lambda rng, p: (
            (),
            {
                "range": rng.choice(("7d", "30d", "90d", "365d", "all")),
                "group_by": rng.choice(("day", "month")),
                "today": rng.choice(p.days),
            },
        ),
    ),
    ReadCase("streak", "streak", lambda rng, p: ((), {"today": rng.choice(p.days)})),
    ReadCase(
        "streak_calendar",
        "streak_calendar",
        lambda rng, p: ((), {"days": rng.choice((30, 90, 365)), "today": rng.choice(p.days)}),
    ),
    ReadCase("trends(7d)", "trends", _trends("7d")),
    ReadCase("trends(30d)", "trends", _trends("30d")),
    ReadCase("trends(365d)", "trends", _trends("365d")),
    ReadCase("trends(all)", "trends", _trends("all")),
    ReadCase("overview", "overview", lambda rng, p: ((), {"today": rng.choice(p.days)})),
)


def _accepted(method: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without the keywords ``method`` does not take (``today`` on a store from
    before the analytics reads)."""
    parameters = inspect.signature(method).parameters
    return {name: value for name, value in kwargs.items() if name in parameters}


def calls_of(
    case: ReadCase, method: Callable[..., Any], pools: ReadPools, rng: random.Random, runs: int
) -> list[_Arguments]:
    """The ``WARMUP + runs`` calls of ``case``: ``(args, kwargs)`` drawn with ``rng``."""
    calls = []
    for _ in range(WARMUP + runs):
        args, kwargs = case.arguments(rng, pools)
        calls.append((args, _accepted(method, kwargs)))
    return calls


def measure_reads(
    store: ImmersionTrackingStore,
    pools: ReadPools,
    *,
    runs: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"reads": {name: {runs, p50, p95, p99, mean, max} (ms)}, "missing": [names]}``."""
    results: dict[str, dict[str, float]] = {}
    missing: list[str] = []
    for case in READS:
        method = getattr(store, case.method, None)
        if method is None:
            missing.append(case.name)
            continue
        calls = calls_of(case, method, pools, random.Random(f"{seed}:{case.name}"), runs)
        samples: list[int] = []
        clock = time.perf_counter_ns
        for index, (args, kwargs) in enumerate(calls):
            started = clock()
            method(*args, **kwargs)
            elapsed = clock() - started
            if index >= WARMUP:
                samples.append(elapsed)
        results[case.name] = summarize(samples, 1e6)
    return {"reads": results, "missing": missing}
