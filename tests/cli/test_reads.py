"""``stats``, ``sessions``, ``videos`` and ``trends`` on a demo database: the tables, and
``--json`` parsed back and compared with the store's own reads."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from immersion.cli.library import latest_sessions
from immersion.domain import SessionCounters
from immersion.localtime import local_today
from immersion.results import SessionSummary
from immersion.stores.sqlite import SqliteStore
from tests.cli.conftest import invoke, one_line_error


@pytest.fixture
def store(demo_db: Path) -> Iterator[SqliteStore]:
    """The demo database, read directly (the commands must agree with it)."""
    opened = SqliteStore(demo_db, read_only=True)
    yield opened
    opened.close()


def as_data(value: Any) -> Any:
    """A result dataclass as JSON would carry it (dates as ISO strings)."""
    return json.loads(json.dumps(dataclasses.asdict(value), default=str))


def run_json(*args: str | Path) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # one document, nothing else on stdout


# ----------------------------------------------------------------- stats


def test_stats_prints_today_streak_weeks_shows_and_sessions(demo_db: Path) -> None:
    result = invoke("stats", "--db", demo_db, "--limit", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in ("Today, ", "streak", "this week", "last week", "Shows, last 30 days"):
        assert heading in out
    assert "Latest sessions" in out
    assert "\x1b[" not in out  # plain text when not a terminal
    assert result.stderr == ""


def test_stats_json_matches_the_store(demo_db: Path, store: SqliteStore) -> None:
    document = run_json("stats", "--db", demo_db, "--limit", "4")
    today = local_today()
    assert document["today"] == today.isoformat()
    assert document["overview"] == as_data(store.overview(today=today))
    calendar = store.streak_calendar(days=14, today=today)
    this_week, last_week = calendar[7:], calendar[:7]
    assert document["this_week"]["start"] == this_week[0].day.isoformat()
    assert document["this_week"]["end"] == today.isoformat()
    assert document["this_week"]["active_min"] == pytest.approx(
        sum(day.active_min for day in this_week)
    )
    assert document["last_week"]["active_days"] == sum(1 for d in last_week if d.active_min)
    assert document["last_week"]["active_min"] > 0  # the demo spans ten days
    shows = store.trends(range="30d", group_by="day", today=today).videos
    assert document["shows"] == [as_data(show) for show in shows]
    assert document["sessions"] == [as_data(row) for row in store.session_summaries(limit=4)]


def test_stats_on_an_empty_store_says_so(tmp_path: Path) -> None:
    result = invoke("stats", "--db", tmp_path / "empty.sqlite")
    assert result.exit_code == 0, result.output
    assert "No sessions recorded yet." in result.stdout
    assert "Nothing watched in the last 30 days." in result.stdout


def test_stats_with_a_malformed_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[storage\nprovider = sqlite\n", encoding="utf-8")
    line = one_line_error(invoke("stats", "--config", config))
    assert "malformed TOML" in line and str(config) in line


def test_stats_on_a_file_that_is_not_sqlite_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.sqlite"
    bogus.write_bytes(b"these are my notes, not a database" * 100)
    result = invoke("stats", "--db", bogus)
    line = one_line_error(result)
    assert result.exit_code == 1
    assert "not a database" in line
    assert bogus.read_bytes().startswith(b"these are my notes")  # left as it was


def test_stats_limit_out_of_range_is_one_line(demo_db: Path) -> None:
    result = invoke("stats", "--db", demo_db, "--limit", "0")
    line = one_line_error(result)
    assert result.exit_code == 2
    assert "--limit" in line and "immersion stats --help" in line


# ----------------------------------------------------------------- sessions


def test_sessions_json_matches_the_store(demo_db: Path, store: SqliteStore) -> None:
    document = run_json("sessions", "--db", demo_db, "--limit", "5")
    assert document == [as_data(row) for row in store.session_summaries(limit=5)]


def test_sessions_of_one_video(demo_db: Path, store: SqliteStore) -> None:
    key = store.video_stats()[0].video_key
    document = run_json("sessions", "--db", demo_db, "--video", key, "--limit", "100")
    expected = [row for row in store.session_summaries(limit=1000) if row.video_key == key]
    assert document == [as_data(row) for row in expected]
    assert document and all(row["video_key"] == key for row in document)


def test_sessions_table_lists_titles(demo_db: Path, store: SqliteStore) -> None:
    result = invoke("sessions", "--db", demo_db, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "Sessions" in result.stdout
    latest = store.session_summaries(limit=1)[0]
    assert latest.title.split()[0] in result.stdout


def test_sessions_of_an_unknown_video_is_one_line(demo_db: Path) -> None:
    line = one_line_error(invoke("sessions", "--db", demo_db, "--video", "local:/nope.mkv"))
    assert "no video with key 'local:/nope.mkv'" in line


def _summary(uuid: str, video_key: str, started_ms: int) -> SessionSummary:
    return SessionSummary.build(
        session_uuid=uuid,
        video_key=video_key,
        title=video_key,
        started_at_ms=started_ms,
        ended_at_ms=started_ms + 1,
        ended_media_ms=None,
        counters=SessionCounters(),
    )


_ROWS = [_summary(f"s{i}", "a" if i % 2 else "b", 1000 - i) for i in range(6)]


class _OldStore:
    """A store whose ``session_summaries`` predates the ``video_key`` filter."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def session_summaries(self, limit: int = 50) -> list[SessionSummary]:
        self.calls.append({"limit": limit})
        return _ROWS[:limit]


class _NewStore:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def session_summaries(
        self, limit: int = 50, video_key: str | None = None
    ) -> list[SessionSummary]:
        self.calls.append({"limit": limit, "video_key": video_key})
        return [row for row in _ROWS if video_key in (None, row.video_key)][:limit]


def test_latest_sessions_filters_client_side_for_a_store_without_the_parameter() -> None:
    old = _OldStore()
    found = latest_sessions(old, 2, "a")  # type: ignore[arg-type]
    assert [row.session_uuid for row in found] == ["s1", "s3"]
    assert old.calls[0]["limit"] > 2  # a wide window, filtered here


def test_latest_sessions_lets_the_store_filter_when_it_can() -> None:
    new = _NewStore()
    found = latest_sessions(new, 2, "b")  # type: ignore[arg-type]
    assert [row.session_uuid for row in found] == ["s0", "s2"]
    assert new.calls == [{"limit": 2, "video_key": "b"}]


# ----------------------------------------------------------------- videos


def test_videos_json_matches_the_store(demo_db: Path, store: SqliteStore) -> None:
    document = run_json("videos", "--db", demo_db)
    assert document == [as_data(row) for row in store.video_stats()]


def test_videos_table_shows_titles_and_keys(demo_db: Path, store: SqliteStore) -> None:
    result = invoke("videos", "--db", demo_db)
    assert result.exit_code == 0, result.output
    flat = "".join(result.stdout.split())  # keys may be folded over lines
    for row in store.video_stats():
        assert "".join(row.video_key.split()) in flat.replace("|", "")


# ----------------------------------------------------------------- trends


@pytest.mark.parametrize(("range_name", "group_by"), [("30d", "day"), ("all", "month")])
def test_trends_json_matches_the_store(
    demo_db: Path, store: SqliteStore, range_name: str, group_by: str
) -> None:
    document = run_json("trends", "--db", demo_db, "--range", range_name, "--by", group_by)
    today = local_today()
    trends = store.trends(range=range_name, group_by=group_by, today=today)
    overall = store.throughput(range=range_name, group_by=group_by, today=today).overall
    assert document["range"] == range_name and document["group_by"] == group_by
    assert document["activity"] == [as_data(bucket) for bucket in trends.activity]
    assert document["videos"] == [as_data(video) for video in trends.videos]
    assert document["overall"] == as_data(overall)
    totals = document["totals"]
    assert totals["sessions"] == sum(bucket.sessions for bucket in trends.activity)
    assert totals["cards_mined"] == sum(bucket.cards_mined for bucket in trends.activity)
    # Summed in milliseconds, then rounded: within rounding of the sum of rounded buckets.
    bucket_sum = sum(bucket.active_min for bucket in trends.activity)
    assert totals["active_min"] == pytest.approx(bucket_sum, abs=0.001 * len(trends.activity))
    assert totals["sessions"] > 0


def test_trends_chart_has_one_bar_line_per_day(demo_db: Path, store: SqliteStore) -> None:
    result = invoke("trends", "--db", demo_db, "--range", "7d")
    assert result.exit_code == 0, result.output
    trends = store.trends(range="7d", group_by="day", today=local_today())
    lines = result.stdout.splitlines()
    for bucket in trends.activity:
        (line,) = [line for line in lines if line.startswith(bucket.key)]
        assert ("#" in line) == (bucket.active_min > 0)
    assert "█" not in result.stdout  # block bars only on a terminal
    for label in ("reading speed", "words/min", "cards/hour", "lookup hit rate"):
        assert label in result.stdout


def test_trends_with_a_bogus_range_is_one_line(demo_db: Path) -> None:
    result = invoke("trends", "--db", demo_db, "--range", "bogus")
    line = one_line_error(result)
    assert result.exit_code == 2
    assert "'bogus' is not one of" in line and "7d" in line


def test_trends_with_a_bogus_grouping_is_one_line(demo_db: Path) -> None:
    line = one_line_error(invoke("trends", "--db", demo_db, "--by", "week"))
    assert "--by" in line
