"""Daily and monthly rollups: exact rows, order, limits, and incremental maintenance.

Every expected value is written out, so memory, SQLite, PostgreSQL and MySQL must all return
these exact objects (floats as ``immersion.analytics`` rounds them: minutes to 3 decimals,
ratios to 4).
"""

from __future__ import annotations

import datetime as dt

import pytest

from immersion.analytics import DailyRollup, MonthlyRollup
from immersion.errors import StoreIntegrityError
from immersion.store import ImmersionTrackingStore

from .builders import EP1, EP2, MINUTE, STREAM, finalize, requires, sample, write
from .history import (
    D1,
    D1_EP1,
    D1_EP2,
    D2,
    D2_EP1,
    FEB27_EP1,
    FEB_EP1,
    MARCH_EP1,
    MARCH_EP2,
    local_start,
    march_history,
    utc_ms,
    videos,
    watched,
)


@pytest.fixture(autouse=True)
def _needs_rollups(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")


def test_daily_rollups_exact_rows_newest_day_first(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.daily_rollups() == [D2_EP1, D1_EP1, D1_EP2, FEB27_EP1]


def test_monthly_rollups_exact_rows_newest_month_first(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.monthly_rollups() == [MARCH_EP1, MARCH_EP2, FEB_EP1]


def test_limits_count_periods_not_rows(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.daily_rollups(limit_days=2) == [D2_EP1, D1_EP1, D1_EP2]
    assert store.daily_rollups(limit_days=1) == [D2_EP1]
    assert store.daily_rollups(limit_days=0) == []
    assert store.monthly_rollups(limit_months=1) == [MARCH_EP1, MARCH_EP2]
    assert store.monthly_rollups(limit_months=-1) == []


def test_a_video_filter_counts_that_videos_periods(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.daily_rollups(video_key=EP2) == [D1_EP2]
    # the newest day of EP1 is D2; its 2 newest days are D2 and D1 (EP2's rows are not in it)
    assert store.daily_rollups(limit_days=2, video_key=EP1) == [D2_EP1, D1_EP1]
    assert store.monthly_rollups(video_key=EP1) == [MARCH_EP1, FEB_EP1]
    assert store.daily_rollups(video_key=STREAM) == []
    assert store.daily_rollups(video_key="local:/unknown.mkv") == []


def test_an_empty_store_has_no_rollups(store: ImmersionTrackingStore) -> None:
    assert (store.daily_rollups(), store.monthly_rollups()) == ([], [])
    assert store.update_rollups() == 0


def test_rollups_are_fresh_after_every_batch(store: ImmersionTrackingStore) -> None:
    march_history(store)
    # every finalize recomputed its groups in its own batch: nothing is left to do
    assert store.update_rollups() == 0
    before = (store.daily_rollups(), store.monthly_rollups())
    assert store.update_rollups() == 0
    assert (store.daily_rollups(), store.monthly_rollups()) == before


def test_a_session_counts_entirely_on_its_start_day(store: ImmersionTrackingStore) -> None:
    # starts at 23:50 local and ends the next day: one row, on the start day
    write(
        store,
        *videos(),
        *watched("late", EP1, D1, 23, started_at_ms=utc_ms(D1, 23, 50), active_min=70),
    )
    [row] = store.daily_rollups()
    assert (row.day, row.sessions, row.active_min) == (D1, 1, 70.0)


def test_the_ending_finalize_makes_an_active_session_count(
    store: ImmersionTrackingStore,
) -> None:
    march_history(store)
    write(store, finalize("live", utc_ms(D2, 22), active_watched_ms=40 * MINUTE, words_seen=120))
    assert store.daily_rollups(limit_days=1) == [
        DailyRollup(D2, EP1, 2, 85.0, 200, 1020, 1000, 0, 0, 0, 0, 0.0, 12.0, None)
    ]


def test_a_replayed_finalize_changes_nothing(store: ImmersionTrackingStore) -> None:
    march_history(store)
    before = (store.daily_rollups(), store.monthly_rollups(), store.overview(today=D2))
    write(
        store,
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
        )[1:],
    )
    assert (store.daily_rollups(), store.monthly_rollups(), store.overview(today=D2)) == before


def test_late_data_a_later_finalize_replaces_the_counters(store: ImmersionTrackingStore) -> None:
    """A session finalized again after its day was rolled up (e.g. a corrected count)."""
    march_history(store)
    write(
        store,
        finalize(
            "s2",
            utc_ms(D1, 22),
            active_watched_ms=20 * MINUTE,
            words_seen=300,
            tokens_seen=320,
            cards_mined=2,
        ),
    )
    assert store.daily_rollups(limit_days=2, video_key=EP2) == [
        DailyRollup(D1, EP2, 1, 20.0, 0, 300, 320, 2, 0, 0, 0, 6.0, 15.0, None)
    ]
    assert store.monthly_rollups(video_key=EP2) == [
        MonthlyRollup("2026-03", EP2, 1, 20.0, 0, 300, 320, 2, 0, 0, 0, 6.0, 15.0, None)
    ]


def test_a_stale_session_closed_at_start_up_is_rolled_up(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert store.close_stale_sessions(utc_ms(D2, 23)) == 1
    # ended at its last sample, with that sample's counters
    assert store.daily_rollups(limit_days=1) == [
        DailyRollup(D2, EP1, 2, 75.0, 200, 999, 1000, 0, 0, 0, 0, 0.0, 13.32, None)
    ]
    assert store.update_rollups() == 0


def test_cumulative_samples_are_never_summed(store: ImmersionTrackingStore) -> None:
    write(store, *videos(), local_start("s", EP1, D1, 20))
    write(
        store,
        *[
            sample("s", i, utc_ms(D1, 20, i), active_watched_ms=i * MINUTE, cards_mined=i)
            for i in range(1, 11)
        ],
    )
    store.close_stale_sessions(utc_ms(D1, 23))
    [row] = store.daily_rollups()
    assert (row.active_min, row.cards_mined) == (10.0, 10)  # the latest sample, not 55


def test_a_failed_batch_leaves_rollups_and_totals_untouched(
    store: ImmersionTrackingStore,
) -> None:
    """A batch that fails after its finalize (a crash between steps) applies nothing;
    running it again without the bad write gives the same as a clean run."""
    write(store, *videos(), local_start("s1", EP1, D1, 20))
    before = (store.daily_rollups(), store.overview(today=D1), store.streak(today=D1))
    good = finalize("s1", utc_ms(D1, 21), active_watched_ms=30 * MINUTE, words_seen=10)
    with pytest.raises(StoreIntegrityError):
        write(store, good, sample("nobody", 1, utc_ms(D1, 21)))
    assert (store.daily_rollups(), store.overview(today=D1), store.streak(today=D1)) == before
    assert store.update_rollups() == 0
    write(store, good)
    assert store.daily_rollups() == [
        DailyRollup(D1, EP1, 1, 30.0, 0, 10, 0, 0, 0, 0, 0, 0.0, 0.3333, None)
    ]
    assert store.overview(today=D1).words_seen == 10


def test_days_come_from_the_stored_local_day_not_the_instant(
    store: ImmersionTrackingStore,
) -> None:
    """23:30 on Feb 28 in Tokyo is 14:30 UTC: the session belongs to Feb 28 (and February),
    and 00:30 on Mar 1 in Tokyo is still Feb 28 in UTC: it belongs to March 1."""
    feb28, mar1 = dt.date(2026, 2, 28), dt.date(2026, 3, 1)
    write(
        store,
        *videos(),
        *watched("a", EP1, feb28, 23, started_at_ms=utc_ms(feb28, 14, 30), active_min=20),
        *watched("b", EP1, mar1, 0, started_at_ms=utc_ms(feb28, 15, 30), active_min=5),
    )
    assert [(r.day, r.active_min) for r in store.daily_rollups()] == [(mar1, 5.0), (feb28, 20.0)]
    assert [(r.month, r.active_min) for r in store.monthly_rollups()] == [
        ("2026-03", 5.0),
        ("2026-02", 20.0),
    ]


def test_several_sessions_of_one_group_add_up(store: ImmersionTrackingStore) -> None:
    write(
        store,
        *videos(),
        *watched("a", STREAM, D1, 9, active_min=1.5, words=7, lookups=3, hits=1),
        *watched("b", STREAM, D1, 10, active_min=2.25, words=8, lookups=3, hits=1),
        *watched("c", STREAM, D1, 11, active_min=0, words=0),
    )
    assert store.daily_rollups() == [
        DailyRollup(D1, STREAM, 3, 3.75, 0, 15, 0, 0, 6, 2, 0, 0.0, 4.0, 0.3333)
    ]
