"""Maintenance: retention windows (prune), closing sessions left open, persisted state."""

from __future__ import annotations

from immersion.domain import SessionCounters, SessionStatus
from immersion.store import ImmersionTrackingStore

from .builders import (
    DAY,
    EP1,
    EP2,
    HOUR,
    MINUTE,
    T0,
    counters,
    cutoffs,
    event,
    finalize,
    make_video,
    open_session,
    requires,
    sample,
    start,
    write,
)

ALL_KINDS = {
    "events",
    "telemetry",
    "sessions",
    "daily_rollups",
    "monthly_rollups",
    "session_totals",
}

# ----------------------------------------------------------------- prune


def _ended_and_active(store: ImmersionTrackingStore) -> None:
    """'old' ended 40 days ago (2 samples, 2 events); 'live' started 60 days ago, still open."""
    old_start, live_start = T0 - 41 * DAY, T0 - 60 * DAY
    write(
        store,
        make_video(EP1),
        make_video(EP2),
        start("old", EP1, old_start),
        sample("old", 1, old_start + MINUTE, lines_seen=1),
        sample("old", 2, old_start + 2 * MINUTE, lines_seen=2),
        event("old", 1, old_start + MINUTE),
        event("old", 2, old_start + 2 * MINUTE),
        finalize("old", T0 - 40 * DAY, lines_seen=2),
        start("live", EP2, live_start),
        sample("live", 1, live_start + MINUTE, lines_seen=7),
        event("live", 1, live_start + MINUTE),
    )


def test_prune_reports_every_kind_and_none_keeps_everything(
    store: ImmersionTrackingStore,
) -> None:
    requires(store, "retention")
    _ended_and_active(store)
    result = store.prune(cutoffs())
    assert set(result) == ALL_KINDS
    assert all(count == 0 for count in result.values())
    assert store.overview().total_sessions == 2


def test_prune_events_window_keeps_the_boundary(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    open_session(store, "s1")
    write(store, *[event("s1", i, T0 + i * DAY) for i in range(5)])
    result = store.prune(cutoffs(events=T0 + 2 * DAY))
    assert result["events"] == 2
    assert (result["telemetry"], result["sessions"]) == (0, 0)
    assert [e.seq for e in store.session_events("s1")] == [2, 3, 4]


def test_prune_telemetry_window_keeps_live_counters(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    open_session(store, "s1")
    write(store, *[sample("s1", i, T0 + i * DAY, lines_seen=i) for i in range(5)])
    result = store.prune(cutoffs(telemetry=T0 + 3 * DAY))
    assert (result["telemetry"], result["events"], result["sessions"]) == (3, 0, 0)
    assert [s.seq for s in store.session_timeline("s1")] == [4, 3]
    assert store.prune(cutoffs(telemetry=T0 + 5 * DAY))["telemetry"] == 2
    assert store.session_timeline("s1") == []
    got = store.get_session("s1")
    assert got is not None
    assert (got.counters.lines_seen, got.last_sample_ms) == (4, T0 + 4 * DAY)
    # An older sample arriving after the prune still does not lower the live counters.
    write(store, sample("s1", 2, T0 + 2 * DAY, lines_seen=2))
    assert store.session_summaries()[0].lines_seen == 4


def test_prune_sessions_takes_their_telemetry_and_events(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    _ended_and_active(store)
    result = store.prune(cutoffs(sessions=T0 - 30 * DAY))
    assert (result["sessions"], result["telemetry"], result["events"]) == (1, 2, 2)
    assert store.get_session("old") is None
    assert store.session_timeline("old") == []
    assert store.session_events("old") == []
    # The active session is never pruned, however old; videos are never pruned; video stats
    # are lifetime totals, so the pruned session still counts (and was watched last).
    assert store.get_session("live") is not None
    assert store.get_video(EP1) is not None
    assert [(s.video_key, s.sessions) for s in store.video_stats()] == [(EP1, 1), (EP2, 1)]


def test_prune_counts_each_row_once(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    _ended_and_active(store)
    result = store.prune(cutoffs(events=T0, telemetry=T0, sessions=T0))
    assert (result["sessions"], result["telemetry"], result["events"]) == (1, 3, 3)
    assert [s.session_uuid for s in store.session_summaries()] == ["live"]
    assert store.session_summaries()[0].lines_seen == 7


def test_prune_keeps_sessions_ended_at_the_boundary(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    _ended_and_active(store)
    assert store.prune(cutoffs(sessions=T0 - 40 * DAY))["sessions"] == 0
    assert store.get_session("old") is not None


def test_prune_never_touches_rows_inside_the_windows(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    _ended_and_active(store)
    before = (store.session_summaries(), store.session_timeline("old"), store.session_events("old"))
    result = store.prune(
        cutoffs(events=T0 - 70 * DAY, telemetry=T0 - 70 * DAY, sessions=T0 - 70 * DAY)
    )
    assert sum(result.values()) == 0
    after = (store.session_summaries(), store.session_timeline("old"), store.session_events("old"))
    assert after == before


def test_prune_without_rollups_reports_zero_rollups(store: ImmersionTrackingStore) -> None:
    requires(store, "retention")
    if store.capabilities.rollups:
        return  # rollup retention is covered by the rollup contract
    _ended_and_active(store)
    result = store.prune(cutoffs(sessions=T0))
    assert (result["daily_rollups"], result["monthly_rollups"]) == (0, 0)


# ----------------------------------------------------------------- stale sessions


def test_close_stale_sessions_ends_them_at_their_last_sample(
    store: ImmersionTrackingStore,
) -> None:
    write(
        store,
        make_video(EP1),
        start("stale", EP1, T0),
        sample("stale", 1, T0 + MINUTE, lines_seen=3),
        sample("stale", 2, T0 + 2 * MINUTE, lines_seen=5, cards_mined=1),
        start("fresh", EP1, T0 + HOUR),
        sample("fresh", 1, T0 + 2 * HOUR),
        start("bare", EP1, T0 + 10 * MINUTE),
        start("done", EP1, T0 - DAY),
        finalize("done", T0 - DAY + MINUTE, lines_seen=1),
    )
    done_before = store.get_session("done")
    assert store.close_stale_sessions(T0 + HOUR) == 2
    stale = store.get_session("stale")
    assert stale is not None
    assert stale.status is SessionStatus.ENDED
    assert (stale.ended_at_ms, stale.ended_media_ms) == (T0 + 2 * MINUTE, None)
    assert stale.counters == counters(lines_seen=5, cards_mined=1)
    bare = store.get_session("bare")
    assert bare is not None
    assert (bare.status, bare.ended_at_ms) == (SessionStatus.ENDED, T0 + 10 * MINUTE)
    assert bare.counters == SessionCounters()
    fresh = store.get_session("fresh")
    assert fresh is not None
    assert fresh.status is SessionStatus.ACTIVE
    assert store.get_session("done") == done_before
    assert store.overview().active_sessions == 1


def test_close_stale_sessions_bound_is_strict_and_repeatable(
    store: ImmersionTrackingStore,
) -> None:
    open_session(store, "s1", EP1, T0)
    write(store, sample("s1", 1, T0 + MINUTE))
    assert store.close_stale_sessions(T0 + MINUTE) == 0
    assert store.close_stale_sessions(T0 + MINUTE + 1) == 1
    assert store.close_stale_sessions(T0 + DAY) == 0
    assert store.session_summaries()[0].ended_at_ms == T0 + MINUTE


# ----------------------------------------------------------------- state and compaction


def test_state_get_and_set(store: ImmersionTrackingStore) -> None:
    assert store.get_state("last_vacuum_ms") is None
    store.set_state("last_vacuum_ms", "1767225600000")
    store.set_state("note", "整理 ✓")
    assert store.get_state("last_vacuum_ms") == "1767225600000"
    store.set_state("last_vacuum_ms", "1767312000000")
    assert store.get_state("last_vacuum_ms") == "1767312000000"
    assert store.get_state("note") == "整理 ✓"


def test_compact_keeps_every_row(store: ImmersionTrackingStore) -> None:
    _ended_and_active(store)
    before = (store.session_summaries(), store.video_stats(), store.session_events("old"))
    store.compact()
    assert (store.session_summaries(), store.video_stats(), store.session_events("old")) == before
