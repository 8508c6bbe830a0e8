"""Lifetime totals (global and per video) and the extended overview.

Lifetime totals are the ended sessions' final counters, each applied exactly once, never
lowered by retention; the reads add the live counters of active sessions.
"""

from __future__ import annotations

import datetime as dt

import pytest

from immersion.results import Overview, VideoStats
from immersion.store import ImmersionTrackingStore, PruneCutoffs

from .builders import EP1, EP2, MINUTE, STREAM, finalize, requires, sample, write
from .history import D1, D2, FEB27, local_start, march_history, utc_ms, videos, watched

EP1_STATS = VideoStats(
    video_key=EP1,
    title="Episode 1",
    duration_ms=None,
    sessions=4,  # 3 ended + 1 active
    total_watched_ms=(40 + 45 + 10) * MINUTE,  # the active one has no total time yet
    active_watched_ms=(30 + 45 + 10 + 30) * MINUTE,
    lines_seen=300,
    words_seen=400 + 900 + 50 + 99,
    tokens_seen=1560,
    cards_mined=5,
    last_watched_ms=utc_ms(D2, 21, 30),  # the active session's newest sample
    active_days=3,  # Feb 27, Mar 2, Mar 3
    first_watched_ms=utc_ms(FEB27, 23),
)

MARCH_3_OVERVIEW = Overview(
    total_sessions=5,
    active_sessions=1,
    total_videos=3,
    total_watched_ms=(40 + 15 + 45 + 10) * MINUTE,
    active_watched_ms=(30 + 15 + 45 + 10 + 30) * MINUTE,
    lines_seen=300,
    words_seen=1549,
    tokens_seen=1680,
    cards_mined=6,
    first_started_ms=utc_ms(FEB27, 23),
    last_started_ms=utc_ms(D2, 21),
    today_active_min=75.0,  # 45 ended + 30 live, both started on Mar 3
    today_cards=0,
    current_streak_days=2,  # Mar 2 and 3
    longest_streak_days=2,
    active_days=3,
    all_time_hours=2.167,  # 130 minutes
)


@pytest.fixture(autouse=True)
def _needs_rollups(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")


def test_video_stats_are_lifetime_plus_live(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.video_stats(EP1) == [EP1_STATS]
    assert [(s.video_key, s.sessions, s.active_days) for s in store.video_stats()] == [
        (EP1, 4, 3),
        (EP2, 1, 1),
        (STREAM, 0, 0),
    ]
    [never] = store.video_stats(STREAM)
    assert (never.first_watched_ms, never.last_watched_ms) == (None, None)


def test_overview_exact(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.overview(today=D2) == MARCH_3_OVERVIEW


def test_overview_today_and_streak_move_with_today(store: ImmersionTrackingStore) -> None:
    march_history(store)
    on_d1 = store.overview(today=D1)
    assert (on_d1.today_active_min, on_d1.today_cards) == (45.0, 4)
    assert (on_d1.current_streak_days, on_d1.longest_streak_days) == (1, 2)
    next_day = store.overview(today=D2 + dt.timedelta(days=1))
    # nothing yet today: the streak still counts from yesterday
    assert (next_day.today_active_min, next_day.current_streak_days) == (0.0, 2)
    assert store.overview(today=D2 + dt.timedelta(days=2)).current_streak_days == 0


def test_pruning_never_lowers_lifetime_totals(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    march_history(store)
    later = D2 + dt.timedelta(days=400)  # everything but the active session is outside
    before = (store.overview(today=later), store.video_stats(), store.streak(today=later))
    far = utc_ms(later)
    pruned = store.prune(PruneCutoffs(far, far, far, later, later.year * 100 + later.month))
    assert pruned["sessions"] == 4  # every ended session is gone from the raw tables
    assert (pruned["daily_rollups"], pruned["monthly_rollups"]) == (4, 3)
    assert pruned["session_totals"] == 4
    assert [s.session_uuid for s in store.session_summaries()] == ["live"]
    after = (store.overview(today=later), store.video_stats(), store.streak(today=later))
    assert after == before
    assert after[0].total_sessions == 5
    assert after[2].longest_days == 2


def test_each_session_is_applied_exactly_once(store: ImmersionTrackingStore) -> None:
    march_history(store)
    march_history(store)  # the whole history replayed, finalizes included
    assert store.update_rollups() == 0
    assert store.update_rollups() == 0
    assert store.overview(today=D2) == MARCH_3_OVERVIEW
    assert store.video_stats(EP1) == [EP1_STATS]


def test_a_later_finalize_applies_only_the_difference(store: ImmersionTrackingStore) -> None:
    march_history(store)
    write(store, finalize("s2", utc_ms(D1, 22), active_watched_ms=20 * MINUTE, cards_mined=4))
    overview = store.overview(today=D2)
    assert overview.total_sessions == MARCH_3_OVERVIEW.total_sessions
    assert overview.active_watched_ms == MARCH_3_OVERVIEW.active_watched_ms + 5 * MINUTE
    assert overview.cards_mined == MARCH_3_OVERVIEW.cards_mined + 3
    assert overview.words_seen == MARCH_3_OVERVIEW.words_seen - 100  # lowered by the new count
    [ep2] = store.video_stats(EP2)
    assert (ep2.sessions, ep2.active_watched_ms, ep2.cards_mined) == (1, 20 * MINUTE, 4)
    assert ep2.last_watched_ms == utc_ms(D1, 22)


def test_active_days_count_days_with_active_time(store: ImmersionTrackingStore) -> None:
    write(store, *videos(), *watched("idle", EP1, D1, 9, active_min=0, total_min=5))
    assert store.video_stats(EP1)[0].active_days == 0
    assert store.streak(today=D1).active_days == 0
    assert store.overview(today=D1).total_sessions == 1
    write(store, *watched("busy", EP1, D1, 10, active_min=3))
    write(store, *watched("more", EP1, D1, 11, active_min=4))
    write(store, *watched("other", EP2, D1, 12, active_min=1))
    assert [(s.video_key, s.active_days) for s in store.video_stats()][:2] == [(EP2, 1), (EP1, 1)]
    assert store.streak(today=D1).active_days == 1
    # corrections taking a day back to no active time take the active day back as well
    write(
        store,
        finalize("busy", utc_ms(D1, 10, 5)),
        finalize("more", utc_ms(D1, 11, 5)),
        finalize("other", utc_ms(D1, 12, 5)),
    )
    assert [s.active_days for s in store.video_stats()][:2] == [0, 0]
    assert store.streak(today=D1).active_days == 0
    assert store.overview(today=D1).total_sessions == 4


def test_lifetime_first_and_last_watched(store: ImmersionTrackingStore) -> None:
    write(
        store,
        *videos(),
        *watched("b", EP1, D2, 10, active_min=5),
        *watched("a", EP1, D1, 10, active_min=5),  # arrives later, watched earlier
    )
    [stats] = store.video_stats(EP1)
    assert (stats.first_watched_ms, stats.last_watched_ms) == (
        utc_ms(D1, 10),
        utc_ms(D2, 10, 5),
    )
    overview = store.overview(today=D2)
    assert (overview.first_started_ms, overview.last_started_ms) == (utc_ms(D1, 10), utc_ms(D2, 10))


def test_a_live_session_counts_on_its_start_day_only(store: ImmersionTrackingStore) -> None:
    # started at 23:00 on Mar 2 and still running after midnight
    write(store, *videos(), local_start("night", EP1, D1, 23))
    write(store, finalize("night", utc_ms(D1, 23, 30), active_watched_ms=MINUTE))
    write(store, local_start("night2", EP1, D1, 23, started_at_ms=utc_ms(D1, 23, 40)))
    write(store, sample("night2", 1, utc_ms(D2, 0, 30), active_watched_ms=50 * MINUTE))
    assert store.overview(today=D1).today_active_min == 51.0
    assert store.overview(today=D2).today_active_min == 0.0
