"""The worker's maintenance schedule: at start-up, every interval, on request; compaction only
when idle and at most once per vacuum interval, remembered across restarts."""

from __future__ import annotations

from pathlib import Path

from immersion import open_tracker
from immersion.maintenance import LAST_COMPACTION_KEY, LAST_MAINTENANCE_KEY
from immersion.testing import ManualClock

DAY_MS = 86_400_000


def _config(path: Path) -> dict[str, object]:
    return {
        "storage": {"provider": "sqlite", "path": str(path)},
        "timezone": "UTC",
        "maintenance": {"interval_ms": DAY_MS, "idle_before_compaction_ms": 60_000},
    }


def _record_for(tracker: object, clock: ManualClock, seconds: int) -> None:
    for second in range(seconds):
        clock.advance(1_000)
        tracker.record_playback_position(float(second))  # type: ignore[attr-defined]


def test_a_pass_runs_at_start_up_and_every_interval(tmp_path: Path) -> None:
    clock = ManualClock()
    with open_tracker(_config(tmp_path / "m.sqlite"), clock=clock) as tracker:
        assert tracker.wait_until_idle(10)
        first = tracker.last_maintenance
        assert first is not None and first.started_at_ms == clock.now_ms()
        assert tracker.store.get_state(LAST_MAINTENANCE_KEY) == str(clock.now_ms())

        clock.advance(DAY_MS - 1)
        assert tracker.wait_until_idle(10)
        assert tracker.last_maintenance is first  # not due yet

        clock.advance(1)
        assert tracker.wait_until_idle(10)
        second = tracker.last_maintenance
        assert second is not None and second.started_at_ms == clock.now_ms()


def test_run_maintenance_writes_the_queue_first_and_returns_the_report(tmp_path: Path) -> None:
    clock = ManualClock()
    with open_tracker(_config(tmp_path / "m.sqlite"), clock=clock) as tracker:
        tracker.handle_media_change("/anime/ep01.mkv")
        tracker.record_subtitle_line("こんにちは", 1.0, 2.0)
        report = tracker.run_maintenance(timeout_s=10)
        assert report is not None
        assert set(report.pruned) >= {"events", "telemetry", "sessions"}
        # the queued writes were stored before the pass ran
        (summary,) = tracker.store.session_summaries()
        assert tracker.store.session_events(summary.session_uuid)


def test_compaction_waits_for_idle_and_is_remembered_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    clock = ManualClock()
    with open_tracker(_config(path), clock=clock) as tracker:
        assert tracker.wait_until_idle(10)
        # a new database starts its vacuum interval instead of compacting at once
        assert tracker.store.get_state(LAST_COMPACTION_KEY) == str(clock.now_ms())
        assert tracker.last_maintenance is not None
        assert not tracker.last_maintenance.compacted

        long_ago = clock.now_ms() - 8 * DAY_MS
        tracker.store.set_state(LAST_COMPACTION_KEY, str(long_ago))
        tracker.handle_media_change("/anime/ep01.mkv")
        _record_for(tracker, clock, 30)
        report = tracker.run_maintenance(timeout_s=10)
        assert report is not None and not report.compacted  # writes are arriving
        assert tracker.store.get_state(LAST_COMPACTION_KEY) == str(long_ago)

        _record_for(tracker, clock, 30)  # still busy: not yet
        assert tracker.wait_until_idle(10)
        assert tracker.store.get_state(LAST_COMPACTION_KEY) == str(long_ago)

        clock.advance(60_000)  # a minute without writes: idle
        assert tracker.wait_until_idle(10)
        compacted_at = clock.now_ms()
        assert tracker.store.get_state(LAST_COMPACTION_KEY) == str(compacted_at)

    clock.advance(DAY_MS)
    with open_tracker(_config(path), clock=clock) as tracker:
        assert tracker.wait_until_idle(10)
        report = tracker.last_maintenance
        assert report is not None and not report.compacted  # 1 day < 7 days
        assert tracker.store.get_state(LAST_COMPACTION_KEY) == str(compacted_at)
