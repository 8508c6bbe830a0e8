"""The dashboard in a real browser: headless Debian Chromium driven by Playwright.

The dashboard is served by uvicorn on a free loopback port over a SQLite store filled by the
demo (plus a video titled like a script tag). Each page must draw its charts with data, show
the store's numbers, render titles as text (no dialog ever opens), load nothing but its own
origin and log no error (a Content-Security-Policy violation is a console error). The HTML
report is opened from disk the same way. Screenshots land in the test's temporary directory.

Never ``playwright install``: Playwright drives the system's /usr/bin/chromium. Without it
the tests skip with a hint, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from immersion import open_tracker
from immersion.cli.options import open_store
from immersion.config import load_config
from immersion.dashboard.app import create_app
from immersion.dashboard.report import write_report
from immersion.store import ImmersionTrackingStore
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock

from .conftest import SCRIPT_TITLE, START_MS, TODAY, demo_config, record_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HINT = "needs Debian's Chromium: apt-get install chromium chromium-driver"

# Counts the canvas pixels painted in one of the charts' colours (axes and grid are grey).
PAINTED = """(container) => {
  const canvas = container.querySelector("canvas");
  if (!canvas) return 0;
  const palette = [[76,120,168],[245,133,24],[84,162,75],[228,87,86],[114,183,178],
    [178,121,162],[238,202,59],[157,117,93]];
  const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 250) continue;
    if (palette.some(([r, g, b]) => Math.abs(d[i] - r) < 4 && Math.abs(d[i + 1] - g) < 4
        && Math.abs(d[i + 2] - b) < 4)) n++;
  }
  return n;
}"""


def _require_browser() -> None:
    """Skip with a hint when Chromium or Playwright is missing; in CI, fail instead."""
    problem = None
    if shutil.which(CHROMIUM) is None:
        problem = f"the browser test {HINT}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = 'the browser test needs Playwright: pip install -e ".[dev]"'
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (.ci/run installs both)")
        pytest.skip(problem)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    listener = socket.create_server(("127.0.0.1", 0))  # listening before the browser asks
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImmersionTrackingStore]:
    _require_browser()
    config = load_config(demo_config("sqlite", tmp_path_factory.mktemp("browser-store")))
    clock = ManualClock(START_MS)
    tracker = open_tracker(config, clock=clock)
    try:
        record_demo(tracker, clock)
    finally:
        tracker.close(timeout_s=60)
    opened = open_store(config)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def base_url(store: ImmersionTrackingStore) -> Iterator[str]:
    with serve(create_app(store, today=lambda: TODAY)) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh profile
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        yield context
        context.close()


class Watched:
    """A page with everything that must not happen recorded: dialogs, errors, requests."""

    def __init__(self, context: Any, origin: str, scripts: int = 3) -> None:
        self.page = context.new_page()
        self.scripts = scripts  # the page's own script elements
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on(
            "request",
            lambda r: None if r.url.startswith(origin) else self.foreign.append(r.url),
        )

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def ready(self, page_name: str) -> None:
        self.page.wait_for_selector(f'body[data-ready="{page_name}"]')

    def painted(self, chart: str) -> int:
        """Waits until the chart has painted data, then returns the painted pixel count."""
        selector = f'[data-chart="{chart}"]'
        self.page.wait_for_function(f"() => ({PAINTED})(document.querySelector('{selector}')) > 20")
        count: int = self.page.locator(selector).evaluate(PAINTED)
        return count

    def points(self, chart: str) -> int:
        return int(self.page.locator(f'[data-chart="{chart}"]').get_attribute("data-points") or -1)

    def check_clean(self) -> None:
        assert self.dialogs == [], "a title was executed as script"
        assert self.errors == []
        assert self.foreign == []
        assert self.page.locator("script").count() == self.scripts  # nothing injected

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def watched(browser_context: Any, base_url: str) -> Iterator[Watched]:
    page = Watched(browser_context, base_url)
    yield page
    page.close()


def _shown_number(text: str) -> float:
    return float(text.split()[0].replace(",", ""))


def test_overview_shows_the_stores_numbers_and_charts(
    watched: Watched, base_url: str, store: ImmersionTrackingStore, tmp_path: Path
) -> None:
    page = watched.page
    page.goto(base_url + "/")
    watched.ready("overview")
    overview = store.overview(today=TODAY)
    cards = page.locator(".card[data-stat]")
    assert cards.count() == 9
    for n in range(cards.count()):
        card = cards.nth(n)
        stat = card.get_attribute("data-stat") or ""
        expected = getattr(overview, stat)
        assert float(card.get_attribute("data-value") or "nan") == expected, stat
        shown = _shown_number(card.locator(".value").inner_text())
        tolerance = 0.05 if stat == "all_time_hours" else 0.5 if stat.endswith("_min") else 0
        assert abs(shown - expected) <= tolerance, (stat, shown, expected)

    calendar = store.streak_calendar(days=365, today=TODAY)
    cells = page.locator('[data-chart="calendar"] svg rect')
    assert cells.count() == 365
    active = [day.day.isoformat() for day in calendar if day.active_min > 0]
    assert (
        page.locator('[data-chart="calendar"] rect:not(.l0)').evaluate_all(
            "cells => cells.map(c => c.dataset.day)"
        )
        == active
    )

    assert watched.points("daily") == 30
    assert watched.painted("daily") > 100
    recent = page.locator("#recent-sessions")
    assert recent.get_by_text(SCRIPT_TITLE, exact=True).count() == 1
    assert page.locator("#empty-store").is_hidden()
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert (tmp_path / "overview.png").stat().st_size > 10_000
    watched.check_clean()


# Functions, not expressions: the page's CSP forbids eval, which an expression would need.
ACTIVITY_POINTS = "(n) => document.getElementById('chart-activity').dataset.points === n"
TREND_CHARTS = ["activity", "cumulative", "wpm", "cph", "lookups", "weekday", "hour"]


def test_trends_draw_every_chart_for_any_range(
    watched: Watched, base_url: str, store: ImmersionTrackingStore, tmp_path: Path
) -> None:
    page = watched.page
    page.goto(base_url + "/#trends")
    watched.ready("trends")
    days = len(store.trends("30d", "day", TODAY).activity)
    for chart in TREND_CHARTS:
        assert watched.painted(chart) > 20, chart
    assert watched.points("activity") == days == 30
    assert (watched.points("weekday"), watched.points("hour")) == (7, 24)
    assert page.locator("#trend-videos").get_by_text(SCRIPT_TITLE, exact=True).count() == 1
    page.screenshot(path=str(tmp_path / "trends.png"), full_page=True)

    page.select_option("#trend-group", "month")
    page.wait_for_function(
        ACTIVITY_POINTS, arg=str(len(store.trends("30d", "month", TODAY).activity))
    )
    page.select_option("#trend-range", "all")
    watched.ready("trends")
    months = store.trends("all", "month", TODAY).activity
    page.wait_for_function(ACTIVITY_POINTS, arg=str(len(months)))
    assert watched.painted("activity") > 20
    watched.check_clean()


def test_a_session_shows_its_timeline_and_events(
    watched: Watched, base_url: str, store: ImmersionTrackingStore, tmp_path: Path
) -> None:
    page = watched.page
    page.goto(base_url + "/#sessions")
    watched.ready("sessions")
    rows = page.locator("#sessions-table tbody tr")
    assert rows.count() == len(store.session_summaries(limit=200))
    page.locator("#sessions-table a", has_text=SCRIPT_TITLE).click()
    page.wait_for_selector("#session-detail:not([hidden])")
    watched.ready("sessions")
    assert page.locator("#session-title").inner_text() == SCRIPT_TITLE
    assert watched.painted("timeline") > 20
    assert watched.painted("events") > 5
    latest = store.session_summaries(limit=1)[0]
    words = page.locator('#session-cards [data-stat="words_seen"]').get_attribute("data-value")
    assert int(words or -1) == latest.words_seen
    page.screenshot(path=str(tmp_path / "session.png"), full_page=True)
    watched.check_clean()


def test_the_library_lists_every_video_with_titles_as_text(
    watched: Watched, base_url: str, store: ImmersionTrackingStore
) -> None:
    page = watched.page
    page.goto(base_url + "/#library")
    watched.ready("library")
    titles = page.locator("#library-table tbody tr td:first-child").all_inner_texts()
    assert titles == [video.title for video in store.video_stats()]
    assert SCRIPT_TITLE in titles
    watched.check_clean()


def test_an_empty_store_shows_friendly_empty_states(browser_context: Any, tmp_path: Path) -> None:
    empty = MemoryStore(timezone="UTC")
    empty.create_or_upgrade_schema()
    with serve(create_app(empty, today=lambda: TODAY)) as url:
        watched = Watched(browser_context, url)
        watched.page.goto(url + "/")
        watched.ready("overview")
        assert watched.page.locator("#empty-store").is_visible()
        assert "immersion demo" in watched.page.locator("#empty-store").inner_text()
        assert watched.page.locator('[data-chart="daily"] .empty').is_visible()
        assert watched.page.locator('[data-chart="calendar"] rect').count() == 365
        watched.page.goto(url + "/#trends")
        watched.ready("trends")
        for chart in TREND_CHARTS:
            assert watched.page.locator(f'[data-chart="{chart}"] .empty').is_visible(), chart
        watched.page.screenshot(path=str(tmp_path / "empty.png"), full_page=True)
        watched.check_clean()
        watched.close()
    empty.close()


def test_the_report_opens_offline_with_its_charts(
    browser_context: Any, store: ImmersionTrackingStore, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    write_report(store, out, today=TODAY, range_name="30d", generated="2026-03-05 21:00")
    watched = Watched(browser_context, out.as_uri(), scripts=4)  # code + the data block
    watched.page.goto(out.as_uri())
    watched.ready("overview")
    assert watched.painted("daily") > 100
    hours = watched.page.locator('[data-stat="all_time_hours"]').get_attribute("data-value")
    assert float(hours or "nan") == store.overview(today=TODAY).all_time_hours
    watched.page.goto(out.as_uri() + "#trends")
    watched.ready("trends")
    for chart in TREND_CHARTS:
        assert watched.painted(chart) > 20, chart
    watched.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    watched.check_clean()  # a blocked inline script would be a console error
    watched.close()
