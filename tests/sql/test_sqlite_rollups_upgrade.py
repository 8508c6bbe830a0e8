"""Upgrading a database from revision 0001 (before rollups) that already holds sessions.

Revision 0002 copies the ended sessions into the ledger (computing each weekday in SQL) and
marks their groups dirty; opening the store finishes the job (``update_rollups``), so the
lifetime totals, rollups and streaks include the history recorded before the upgrade.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from immersion.analytics import DailyRollup
from immersion.domain import SessionStatus, day_number
from immersion.stores.sql import migrate, schema
from immersion.stores.sqlite import SqliteStore

EPOCH_THURSDAY = dt.date(1970, 1, 1)
MONDAY = dt.date(2026, 3, 2)
KEY = "local:/old/episode.mkv"


def _session_row(index: int, day: dt.date, *, ended: bool, active_ms: int) -> dict[str, object]:
    started = int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp() * 1000)
    return {
        "session_uuid": f"old-{index}",
        "video_id": 1,
        "started_at_ms": started,
        "ended_at_ms": started + active_ms if ended else None,
        "status": int(SessionStatus.ENDED if ended else SessionStatus.ACTIVE),
        "local_day": day_number(day),
        "local_month": day.year * 100 + day.month,
        "local_hour": 12,
        "created_at_ms": started,
        "updated_at_ms": started,
        "active_watched_ms": active_ms,
        "total_watched_ms": active_ms,
        "words_seen": 10,
    }


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    """A database at revision 0001 with a week of ended sessions, one on 1970-01-01, and
    one session still active."""
    path = tmp_path / "old.sqlite"
    store = SqliteStore(path)
    try:
        with store.begin_schema() as connection:
            migrate.upgrade(connection, "0001")
            connection.execute(
                schema.videos.insert(),
                {
                    "video_key": KEY,
                    "title": "Old",
                    "source_type": 1,
                    "created_at_ms": 0,
                    "updated_at_ms": 0,
                },
            )
            days = [MONDAY + dt.timedelta(days=i) for i in range(7)]
            rows = [
                _session_row(i, day, ended=True, active_ms=(i + 1) * 60_000)
                for i, day in enumerate(days)
            ]
            rows.append(_session_row(7, EPOCH_THURSDAY, ended=True, active_ms=8 * 60_000))
            rows.append(_session_row(8, MONDAY, ended=False, active_ms=9 * 60_000))
            connection.execute(schema.sessions.insert(), rows)
    finally:
        store.close()
    return path


def test_the_upgrade_brings_old_sessions_into_rollups_and_totals(old_database: Path) -> None:
    store = SqliteStore(old_database)
    try:
        status = store.create_or_upgrade_schema()
        assert (status.upgraded_from, status.current_revision) == ("0001", migrate.head_revision())
        assert status.backup_path is not None
        rows = store.daily_rollups(limit_days=1000)
        assert len(rows) == 8
        assert rows[-1] == DailyRollup(
            EPOCH_THURSDAY, KEY, 1, 8.0, 0, 10, 0, 0, 0, 0, 0, 0.0, 1.25, None
        )
        assert [r.active_min for r in rows[:7]] == [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
        [stats] = store.video_stats()
        assert (stats.sessions, stats.active_days) == (9, 8)  # 8 ended + the active one
        assert stats.active_watched_ms == sum(range(1, 10)) * 60_000
        streak = store.streak(today=MONDAY + dt.timedelta(days=6))
        assert (streak.current_days, streak.longest_days, streak.active_days) == (7, 7, 8)
        # the weekday computed in SQL by the migration: Monday .. Sunday, and 1970-01-01 a
        # Thursday (+8 minutes)
        trends = store.trends("all", "month", today=MONDAY + dt.timedelta(days=6))
        assert trends.by_weekday == [1.0, 2.0, 3.0, 4.0 + 8.0, 5.0, 6.0, 7.0]
        assert store.update_rollups() == 0
        # revision 0003 summed the copied ledger per day: the day series (throughput) has
        # every ended session once
        week = store.throughput("7d", today=MONDAY + dt.timedelta(days=6))
        assert [b.active_min for b in week.buckets] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        assert store.throughput("all", today=MONDAY).overall.active_min == 8.0 + 1.0
    finally:
        store.close()
    again = SqliteStore(old_database)
    try:
        assert again.create_or_upgrade_schema().upgraded_from is None
        assert again.overview(today=MONDAY).total_sessions == 9  # applied exactly once
    finally:
        again.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_the_offline_upgrade_script_copies_the_ledger_without_percent_signs(
    dialect: str,
) -> None:
    script = migrate.upgrade_sql(dialect, start="0001")
    assert "INSERT INTO session_totals" in script
    assert "INSERT INTO rollup_dirty" in script
    assert "INSERT INTO ledger_days" in script
    assert "%" not in script  # a doubled %% would break the script in psql / mysql
