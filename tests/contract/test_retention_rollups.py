"""Retention of rollups and the per-session ledger.

Rollups outside their window go; a rollup inside its window is never changed by pruning; a
ledger entry goes only when both its day and its month are outside their windows, so every
rollup that is kept can still be recomputed correctly. Lifetime totals and day activity are
never pruned (see ``test_lifetime``).
"""

from __future__ import annotations

import pytest

from immersion.analytics import MonthlyRollup
from immersion.store import ImmersionTrackingStore

from .builders import EP1, EP2, MINUTE, finalize, requires, write
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
    march_history,
    rollup_cutoffs,
    utc_ms,
    watched,
)

ROLLUP_KINDS = ("daily_rollups", "monthly_rollups", "session_totals")


@pytest.fixture(autouse=True)
def _needs_rollup_retention(store: ImmersionTrackingStore) -> None:
    requires(store, "rollups")
    requires(store, "retention")


def _counts(result: dict[str, int]) -> tuple[int, ...]:
    return tuple(result[kind] for kind in ROLLUP_KINDS)


def test_daily_rollups_before_the_cutoff_go_and_the_boundary_stays(
    store: ImmersionTrackingStore,
) -> None:
    march_history(store)
    result = store.prune(rollup_cutoffs(daily=D1))
    assert _counts(result) == (1, 0, 0)  # Feb 27; no monthly cutoff: the ledger stays
    assert store.daily_rollups() == [D2_EP1, D1_EP1, D1_EP2]
    assert store.monthly_rollups() == [MARCH_EP1, MARCH_EP2, FEB_EP1]


def test_monthly_rollups_before_the_cutoff_go(store: ImmersionTrackingStore) -> None:
    march_history(store)
    result = store.prune(rollup_cutoffs(monthly=202603))
    assert _counts(result) == (0, 1, 0)
    assert store.monthly_rollups() == [MARCH_EP1, MARCH_EP2]
    assert store.daily_rollups() == [D2_EP1, D1_EP1, D1_EP2, FEB27_EP1]


def test_no_cutoffs_keep_everything(store: ImmersionTrackingStore) -> None:
    march_history(store)
    assert _counts(store.prune(rollup_cutoffs())) == (0, 0, 0)
    assert len(store.daily_rollups()) == 4
    assert len(store.monthly_rollups()) == 3


def test_the_ledger_goes_only_when_both_windows_are_past(store: ImmersionTrackingStore) -> None:
    march_history(store)
    # Feb 27's entry is before both bounds; Mar 2's only before the daily one: it stays,
    # because March's monthly rollup may still need it.
    result = store.prune(rollup_cutoffs(daily=D2, monthly=202603))
    assert _counts(result) == (3, 1, 1)
    assert store.daily_rollups() == [D2_EP1]
    assert store.monthly_rollups() == [MARCH_EP1, MARCH_EP2]
    # a late correction of a Mar 2 session recomputes March from the kept entries
    write(store, finalize("s2", utc_ms(D1, 22), active_watched_ms=20 * MINUTE, words_seen=100))
    assert store.monthly_rollups(video_key=EP2) == [
        MonthlyRollup("2026-03", EP2, 1, 20.0, 0, 100, 0, 0, 0, 0, 0, 0.0, 5.0, None)
    ]
    assert store.monthly_rollups(video_key=EP1) == [MARCH_EP1]
    # "all" ranges start at the first day still in the ledger
    assert store.trends("all", "day", today=D2).start == D1


def test_pruning_never_changes_a_rollup_inside_its_window(
    store: ImmersionTrackingStore,
) -> None:
    march_history(store)
    store.prune(rollup_cutoffs(daily=D1, monthly=202603, sessions=utc_ms(D2, 23)))
    assert store.daily_rollups() == [D2_EP1, D1_EP1, D1_EP2]
    assert store.monthly_rollups() == [MARCH_EP1, MARCH_EP2]
    assert store.update_rollups() == 0
    assert store.daily_rollups() == [D2_EP1, D1_EP1, D1_EP2]


def test_pruned_rollups_stay_gone_after_maintenance(store: ImmersionTrackingStore) -> None:
    march_history(store)
    store.prune(rollup_cutoffs(daily=D2, monthly=202603))
    assert store.update_rollups() == 0
    assert store.daily_rollups() == [D2_EP1]
    assert store.prune(rollup_cutoffs(daily=D2, monthly=202603)) == {
        "events": 0,
        "telemetry": 0,
        "sessions": 0,
        "daily_rollups": 0,
        "monthly_rollups": 0,
        "session_totals": 0,
    }


def test_streak_and_calendar_survive_rollup_retention(store: ImmersionTrackingStore) -> None:
    march_history(store)
    before = (store.streak(today=D2), store.streak_calendar(days=10, today=D2))
    store.prune(rollup_cutoffs(daily=D2, monthly=202604))
    assert store.daily_rollups() == [D2_EP1]
    assert (store.streak(today=D2), store.streak_calendar(days=10, today=D2)) == before


def test_a_late_session_of_a_pruned_day_is_still_counted_in_lifetime(
    store: ImmersionTrackingStore,
) -> None:
    march_history(store)
    store.prune(rollup_cutoffs(daily=D2, monthly=202603))
    total = store.overview(today=D2).total_sessions
    write(store, *watched("late", EP1, D1, 7, active_min=2))
    assert store.overview(today=D2).total_sessions == total + 1
    # its day is outside the daily window: the next prune takes the recomputed row again
    assert store.prune(rollup_cutoffs(daily=D2, monthly=202603))["daily_rollups"] == 1
    assert store.daily_rollups() == [D2_EP1]
    assert store.daily_rollups(video_key=EP1) == [D2_EP1]
