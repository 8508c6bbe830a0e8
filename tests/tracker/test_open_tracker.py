"""open_tracker: configuration sources, schema set-up, and start-up failures."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from pathlib import Path

import pytest

import immersion
from immersion import ConfigError, SchemaTooNewError, Tracker, open_tracker
from immersion.domain import SessionCounters, SourceType, TelemetrySample, Video
from immersion.stores.memory import MemoryStore
from immersion.stores.sqlite import SqliteStore
from immersion.testing import ManualClock
from immersion.writes import RecordSample, StartSession, UpsertVideo


def test_open_tracker_on_sqlite_from_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "data" / "tracker.sqlite"
    clock = ManualClock()
    config = {"storage": {"provider": "sqlite", "path": str(path)}, "timezone": "Asia/Tokyo"}
    started = time.monotonic()
    tracker = open_tracker(config, clock=clock)
    assert time.monotonic() - started < 10
    with tracker:
        assert isinstance(tracker.store, SqliteStore)
        tracker.handle_media_change("/anime/ep01.mkv")
        tracker.record_subtitle_line("こんにちは", 1, 2)
        assert tracker.flush(5)
        assert tracker.store.session_summaries()[0].lines_seen == 1
    with contextlib.closing(SqliteStore(path)) as reopened:
        (summary,) = reopened.session_summaries()
        assert summary.ended_at_ms is not None and summary.lines_seen == 1


def test_open_tracker_from_a_toml_file(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        'timezone = "UTC"\n[storage]\nprovider = "memory"\n[write]\nbatch_size = 5\n'
    )
    with open_tracker(config_file, clock=ManualClock()) as tracker:
        assert isinstance(tracker.store, MemoryStore)
        assert tracker.config.write.batch_size == 5


def test_bad_configuration_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        open_tracker({"storage": {"provider": "nope"}})
    with pytest.raises(ConfigError):
        open_tracker({"write": {"no_such_key": 1}})


def test_a_schema_from_the_future_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    store = SqliteStore(path)
    store.create_or_upgrade_schema()
    store.close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE immersion_schema_version SET version_num = 'fffffffffff9'")
    connection.close()
    with pytest.raises(SchemaTooNewError):
        open_tracker({"storage": {"provider": "sqlite", "path": str(path)}})


def test_sessions_left_active_by_a_crash_are_closed_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    clock = ManualClock()
    # What a crashed tracker leaves behind: a started session with a sample, never finalized.
    with contextlib.closing(SqliteStore(path)) as store:
        store.create_or_upgrade_schema()
        video = Video("local:/anime/ep01.mkv", "ep01", SourceType.LOCAL)
        counters = SessionCounters(lookup_count=1, total_watched_ms=5_000)
        store.write_batch(
            [
                UpsertVideo(video),
                StartSession(
                    "crashed", video.video_key, clock.now_ms(), dt.date(2026, 1, 1), 202601, 0
                ),
                RecordSample(TelemetrySample("crashed", 1, clock.now_ms() + 5_000, counters)),
            ]
        )

    clock.advance(2 * 3_600_000)  # more than maintenance.stale_session_after_ms
    config = {"storage": {"provider": "sqlite", "path": str(path)}, "timezone": "UTC"}
    with open_tracker(config, clock=clock) as tracker:
        assert tracker.wait_until_idle(10)  # the start-up maintenance pass has run
        assert tracker.last_maintenance is not None
        assert tracker.last_maintenance.stale_sessions_closed == 1
        (summary,) = tracker.store.session_summaries()
        assert summary.ended_at_ms == clock.now_ms() - 2 * 3_600_000 + 5_000
        assert summary.lookup_count == 1


def test_public_exports() -> None:
    for name in (
        "open_tracker",
        "Tracker",
        "TrackerConfig",
        "EventType",
        "Diagnostics",
        "ImmersionTrackingStore",
        "errors",
    ):
        assert hasattr(immersion, name), name
    assert immersion.Tracker is Tracker
    from immersion.testing import ManualClock as exported

    assert exported is ManualClock
