"""Properties of rollups, lifetime totals and retention, on random histories.

- rollups and lifetime totals equal the sums of each session's final counters (the last
  finalize wins; samples are cumulative and never summed);
- pruning never deletes a rollup row inside its window, and leaves lifetime totals and the
  longest streak unchanged;
- a maintenance pass run twice, or after a crash between its steps, and batches that fail
  half-way and are retried, give exactly the reads of the in-memory model fed the clean way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immersion.analytics import DailyRollup, MonthlyRollup, PeriodTotals
from immersion.domain import SessionCounters, TelemetrySample
from immersion.errors import StoreIntegrityError
from immersion.store import ImmersionTrackingStore, PruneCutoffs
from immersion.stores.memory import MemoryStore
from immersion.writes import FinalizeSession, RecordSample, StartSession, Write

from .builders import HOUR, MINUTE, requires
from .history import VIDEOS, emptied, utc_ms, videos

BASE = dt.date(2026, 1, 20)
TODAY = BASE + dt.timedelta(days=50)
AFTER_ALL_MS = utc_ms(BASE + dt.timedelta(days=60))

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

counter_values = st.builds(
    SessionCounters,
    total_watched_ms=st.integers(0, 3 * 60).map(lambda m: m * MINUTE),
    active_watched_ms=st.integers(0, 3 * 60 * 60).map(lambda s: s * 1000),
    lines_seen=st.integers(0, 300),
    words_seen=st.integers(0, 2000),
    tokens_seen=st.integers(0, 2500),
    cards_mined=st.integers(0, 6),
    lookup_count=st.integers(0, 40),
    lookup_hits=st.integers(0, 40),
    dictionary_lookups=st.integers(0, 20),
    pause_count=st.integers(0, 5),
)


@dataclass(frozen=True)
class Planned:
    uuid: str
    start: StartSession
    live: SessionCounters  # its newest sample's counters (zero without samples)
    final: SessionCounters | None  # None: still active
    last_activity_ms: int


@dataclass(frozen=True)
class History:
    sessions: list[Planned]
    batches: list[list[Write]]

    def ended(self) -> list[tuple[Planned, SessionCounters]]:
        return [(s, s.final) for s in self.sessions if s.final is not None]


def _scaled(counters: SessionCounters, part: int, whole: int) -> SessionCounters:
    return SessionCounters(**{k: v * part // whole for k, v in counters.as_dict().items()})


@st.composite
def histories(draw: st.DrawFn) -> History:
    planned: list[Planned] = []
    writes: list[Write] = list(videos())
    late: list[Write] = []
    for i in range(draw(st.integers(1, 10))):
        uuid = f"s{i}"
        day = BASE + dt.timedelta(days=draw(st.integers(0, 45)))
        hour = draw(st.integers(0, 23))
        # the instant is not the local wall time read as UTC: days must come from local_day
        at = utc_ms(day, hour) + draw(st.integers(-14, 12)) * HOUR
        start = StartSession(
            uuid, draw(st.sampled_from(VIDEOS)), at, day, day.year * 100 + day.month, hour
        )
        target = draw(counter_values)
        samples = draw(st.integers(0, 3))
        writes.append(start)
        for j in range(1, samples + 1):
            cumulative = _scaled(target, j, samples)
            writes.append(RecordSample(TelemetrySample(uuid, j, at + j * MINUTE, cumulative)))
        live = target if samples else SessionCounters()
        final: SessionCounters | None = None
        if draw(st.booleans()):
            final = target
            writes.append(FinalizeSession(uuid, at + HOUR, final))
            if draw(st.booleans()):  # finalized again later with other counters (late data)
                final = draw(counter_values)
                late.append(FinalizeSession(uuid, at + 2 * HOUR, final))
        planned.append(Planned(uuid, start, live, final, at + samples * MINUTE))
    everything = writes + late
    sizes = draw(st.lists(st.integers(1, 12), min_size=1, max_size=5))
    batches: list[list[Write]] = []
    index = 0
    while index < len(everything):
        size = sizes[len(batches) % len(sizes)]
        batches.append(everything[index : index + size])
        index += size
    return History(planned, batches)


def _apply(store: ImmersionTrackingStore, history: History) -> None:
    for batch in history.batches:
        store.write_batch(batch)


def _snapshot(store: ImmersionTrackingStore) -> dict[str, Any]:
    return {
        "daily": store.daily_rollups(limit_days=1000),
        "monthly": store.monthly_rollups(limit_months=1000),
        "overview": store.overview(today=TODAY),
        "videos": store.video_stats(),
        "streak": store.streak(today=TODAY),
        "calendar": store.streak_calendar(days=70, today=TODAY),
        "trends": store.trends("all", "day", today=TODAY),
        "throughput": store.throughput("90d", "month", today=TODAY),
        "sessions": store.session_summaries(limit=1000),
    }


def _sums(
    ended: list[tuple[Planned, SessionCounters]], key: Callable[[Planned], Any]
) -> dict[Any, PeriodTotals]:
    sums: dict[Any, PeriodTotals] = {}
    for session, final in ended:
        group = key(session)
        sums[group] = sums.get(group, PeriodTotals()).plus(PeriodTotals.of_session(final))
    return sums


@pytest.fixture(autouse=True)
def _needs_rollups(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")


@PROPERTY
@given(history=histories())
def test_rollups_and_totals_are_sums_of_final_counters(
    store: ImmersionTrackingStore, history: History
) -> None:
    subject = emptied(store)
    _apply(subject, history)
    ended = history.ended()
    daily = _sums(ended, lambda s: (s.start.local_day, s.start.video_key))
    monthly = _sums(ended, lambda s: (s.start.local_month, s.start.video_key))
    assert subject.daily_rollups(limit_days=1000) == [
        DailyRollup.of(day, key, totals)
        for (day, key), totals in sorted(
            daily.items(), key=lambda i: (-i[0][0].toordinal(), i[0][1])
        )
    ]
    assert subject.monthly_rollups(limit_months=1000) == [
        MonthlyRollup.of(month, key, totals)
        for (month, key), totals in sorted(monthly.items(), key=lambda i: (-i[0][0], i[0][1]))
    ]
    live = [s.live for s in history.sessions if s.final is None]
    everything = [final for _, final in ended] + live
    overview = subject.overview(today=TODAY)
    assert overview.total_sessions == len(history.sessions)
    assert overview.active_sessions == len(live)
    for name in ("active_watched_ms", "words_seen", "cards_mined", "total_watched_ms"):
        assert getattr(overview, name) == sum(getattr(c, name) for c in everything), name
    starts = [s.start.started_at_ms for s in history.sessions]
    assert (overview.first_started_ms, overview.last_started_ms) == (min(starts), max(starts))
    active_by_day = _sums(ended, lambda s: s.start.local_day)
    assert overview.active_days == sum(1 for t in active_by_day.values() if t.active_watched_ms)
    for stats in subject.video_stats():
        mine = [s for s in history.sessions if s.start.video_key == stats.video_key]
        assert stats.sessions == len(mine)
        assert stats.words_seen == sum((s.final or s.live).words_seen for s in mine)
    assert subject.update_rollups() == 0


cutoff_days = st.integers(0, 47).map(lambda n: BASE + dt.timedelta(days=n))
cutoff_months = st.sampled_from([None, 202601, 202602, 202603, 202604])


@PROPERTY
@given(history=histories(), daily=st.none() | cutoff_days, monthly=cutoff_months)
def test_pruning_keeps_every_row_inside_its_window_and_every_total(
    store: ImmersionTrackingStore,
    history: History,
    daily: dt.date | None,
    monthly: int | None,
) -> None:
    requires(store, "retention")
    subject = emptied(store)
    _apply(subject, history)
    before = _snapshot(subject)
    subject.prune(PruneCutoffs(AFTER_ALL_MS, AFTER_ALL_MS, AFTER_ALL_MS, daily, monthly))
    after = _snapshot(subject)
    assert after["daily"] == [r for r in before["daily"] if daily is None or r.day >= daily]
    assert after["monthly"] == [
        r for r in before["monthly"] if monthly is None or int(r.month.replace("-", "")) >= monthly
    ]
    for kept in ("overview", "videos", "streak", "calendar"):
        assert after[kept] == before[kept], kept
    assert subject.update_rollups() == 0
    assert _snapshot(subject) == after


def _maintenance_steps(
    store: ImmersionTrackingStore, cutoffs: PruneCutoffs
) -> list[Callable[[], object]]:
    return [
        lambda: store.close_stale_sessions(AFTER_ALL_MS),
        store.update_rollups,
        lambda: store.prune(cutoffs),
    ]


@PROPERTY
@given(
    history=histories(),
    poisoned=st.lists(st.booleans(), min_size=1, max_size=8),
    crash_after=st.integers(0, 3),
    daily=st.none() | cutoff_days,
    monthly=cutoff_months,
)
def test_retries_and_repeated_or_interrupted_maintenance_match_the_model(
    store: ImmersionTrackingStore,
    history: History,
    poisoned: list[bool],
    crash_after: int,
    daily: dt.date | None,
    monthly: int | None,
) -> None:
    requires(store, "retention")
    cutoffs = PruneCutoffs(None, None, None, daily, monthly)
    model = MemoryStore()
    _apply(model, history)
    for step in _maintenance_steps(model, cutoffs):
        step()

    subject = emptied(store)
    bad = RecordSample(TelemetrySample("nobody", 1, 0, SessionCounters()))
    for index, batch in enumerate(history.batches):
        if poisoned[index % len(poisoned)]:
            # fails after its finalizes were applied inside the transaction: nothing stays
            with pytest.raises(StoreIntegrityError):
                subject.write_batch([*batch, bad])
        subject.write_batch(batch)
    steps = _maintenance_steps(subject, cutoffs)
    for step in steps[:crash_after]:  # a pass interrupted after crash_after steps ...
        step()
    for _ in range(2):  # ... then a full pass, twice
        for step in steps:
            step()
    assert _snapshot(subject) == _snapshot(model)
