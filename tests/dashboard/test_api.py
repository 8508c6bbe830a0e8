"""The dashboard's JSON API on memory and SQLite stores: every endpoint returns exactly the
store's reads, parameters are validated, and nothing but GET is answered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from immersion.analytics import GROUP_BYS, RANGES
from immersion.dashboard.api import MARKER_EVENT_TYPES
from immersion.dashboard.app import create_app
from immersion.store import ImmersionTrackingStore

from .conftest import SCRIPT_TITLE, TODAY, plain

BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client(filled_store: ImmersionTrackingStore) -> Iterator[TestClient]:
    with TestClient(create_app(filled_store, today=lambda: TODAY), base_url=BASE) as client:
        yield client


def get_json(client: TestClient, path: str) -> dict[str, object]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, object] = response.json()
    return body


def test_overview_is_the_stores_overview_of_today(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    expected = filled_store.overview(today=TODAY)
    body = get_json(client, "/api/overview")
    assert body == {"today": "2026-03-05", "overview": plain(expected)}
    assert expected.total_sessions > 5 and expected.today_active_min > 0
    assert expected.current_streak_days == 5


def test_calendar_has_every_day_ending_today(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    body = get_json(client, "/api/calendar")
    days = filled_store.streak_calendar(days=365, today=TODAY)
    assert body == {"today": "2026-03-05", "days": plain(days)}
    assert len(days) == 365 and days[-1].day == TODAY
    assert get_json(client, "/api/calendar?days=7")["days"] == plain(days[-7:])


@pytest.mark.parametrize("group_by", GROUP_BYS)
@pytest.mark.parametrize("range_name", list(RANGES))
def test_trends_of_every_range_and_grouping(
    client: TestClient, filled_store: ImmersionTrackingStore, range_name: str, group_by: str
) -> None:
    body = get_json(client, f"/api/trends?range={range_name}&group_by={group_by}")
    expected = filled_store.trends(range=range_name, group_by=group_by, today=TODAY)
    assert body == plain(expected)
    assert sum(b.sessions for b in expected.activity) > 0


def test_trends_default_to_30_days_by_day(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    assert get_json(client, "/api/trends") == plain(filled_store.trends("30d", "day", TODAY))


def test_daily_stacks_the_stores_rollups_by_video(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    body = get_json(client, "/api/daily")
    start = TODAY - dt.timedelta(days=29)
    rows = [r for r in filled_store.daily_rollups(limit_days=30) if start <= r.day <= TODAY]
    assert body["rows"] == plain(rows)
    assert body["days"] == [(start + dt.timedelta(days=n)).isoformat() for n in range(30)]
    shows = body["shows"]
    assert isinstance(shows, list)
    titles = {v.video_key: v.title for v in filled_store.video_stats()}
    assert {s["video_key"]: s["title"] for s in shows} == {
        r.video_key: titles[r.video_key] for r in rows
    }
    for show in shows:  # each series is that video's minutes per day, zero-filled
        per_day = {
            r.day.isoformat(): r.active_min for r in rows if r.video_key == show["video_key"]
        }
        expected = [per_day.get(day, 0.0) for day in body["days"]]
        assert show["active_min"] == pytest.approx(expected)
    minutes = [s["total_min"] for s in shows]
    assert minutes == sorted(minutes, reverse=True)


def test_sessions_are_the_latest_summaries(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    assert get_json(client, "/api/sessions") == {
        "sessions": plain(filled_store.session_summaries(limit=50))
    }
    latest = get_json(client, "/api/sessions?limit=1")["sessions"]
    assert latest == plain(filled_store.session_summaries(limit=1))
    assert latest[0]["title"] == SCRIPT_TITLE  # type: ignore[index]


def test_session_detail_has_its_timeline_and_marker_events(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    for summary in filled_store.session_summaries(limit=3):
        uuid = summary.session_uuid
        body = get_json(client, f"/api/sessions/{uuid}")
        assert body["session"] == plain(filled_store.get_session(uuid))
        assert body["title"] == summary.title
        samples = filled_store.session_timeline(uuid)
        assert body["timeline_samples"] == len(samples) <= 600  # short: nothing downsampled
        assert body["timeline"] == plain(list(reversed(samples)))
        events = filled_store.session_events(uuid, limit=5000, event_types=MARKER_EVENT_TYPES)
        assert body["events"] == plain(events)
        assert body["events_truncated"] is False
        assert any(e["event_type"] == "card_mined" for e in body["events"])  # type: ignore[index,union-attr]


def test_library_is_the_stores_video_stats(
    client: TestClient, filled_store: ImmersionTrackingStore
) -> None:
    body = get_json(client, "/api/library")
    assert body == {"videos": plain(filled_store.video_stats())}
    assert SCRIPT_TITLE in [v["title"] for v in body["videos"]]  # type: ignore[union-attr,index]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/api/trends?range=1y", ["range", "7d, 30d, 90d, 365d, all", "'1y'"]),
        ("/api/trends?range=", ["range", "''"]),
        ("/api/trends?group_by=week", ["group_by", "day, month", "'week'"]),
        ("/api/calendar?days=0", ["days", "1 to 3660", "0"]),
        ("/api/calendar?days=ten", ["days", "'ten'"]),
        ("/api/calendar?days=%EF%BC%95", ["days"]),  # a full-width digit is not an integer
        ("/api/daily?days=367", ["days", "1 to 366"]),
        ("/api/sessions?limit=-1", ["limit", "1 to 1000"]),
        ("/api/sessions?limit=99999999999999999999", ["limit"]),
    ],
)
def test_bad_parameters_are_400_with_a_message(
    client: TestClient, path: str, words: list[str]
) -> None:
    response = client.get(path)
    assert response.status_code == 400
    message = response.json()["error"]
    for word in words:
        assert word in message


@pytest.mark.parametrize("uuid", ["00000000-0000-0000-0000-000000000000", "x" * 37, "%3Cscript%3E"])
def test_unknown_session_is_404_with_a_message(client: TestClient, uuid: str) -> None:
    response = client.get(f"/api/sessions/{uuid}")
    assert response.status_code == 404
    assert "session" in response.json()["error"]
