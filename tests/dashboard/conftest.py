"""Stores filled by the demo simulation, shared by the dashboard tests of a module.

The history is recorded through the real tracker on a ``ManualClock`` in UTC, so the learner's
"today" is a fixed date and the dashboard is told that date (never the machine's clock). Last
comes one session of a video whose title is an HTML script tag, so every page that lists
videos or sessions must show it as text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from immersion import open_tracker
from immersion.cli.demo import simulate_history
from immersion.cli.options import open_store
from immersion.config import load_config
from immersion.store import ImmersionTrackingStore
from immersion.testing import ManualClock
from immersion.tracker import Tracker

SCRIPT_TITLE = "<script>alert(1)</script>"
DEMO_DAYS = 5
# The demo's first evening; its last one (DEMO_DAYS - 1 days later) is TODAY.
START_MS = int(dt.datetime(2026, 3, 1, 18, 0, tzinfo=dt.UTC).timestamp() * 1000)
TODAY = dt.date(2026, 3, 5)


def watch_script_title(tracker: Tracker, clock: ManualClock) -> None:
    """Three minutes of a video titled like an HTML script tag, with lines and a card."""
    tracker.handle_media_change("/media/evil/<b>x</b>.mkv", SCRIPT_TITLE)
    for second in range(1, 181):
        clock.advance(1000)
        tracker.record_playback_position(float(second))
        if second % 5 == 0:
            tracker.record_subtitle_line(f"<img src=x onerror=alert({second})>", second, second + 2)
    tracker.record_cards_mined(1, (1_700_000_000_000,))
    tracker.record_dictionary_lookup()
    tracker.handle_media_change(None)


def record_demo(tracker: Tracker, clock: ManualClock) -> None:
    simulate_history(tracker, clock, days=DEMO_DAYS, seed=11)
    clock.advance(10 * 60_000)
    watch_script_title(tracker, clock)
    assert tracker.flush(timeout_s=60)


def demo_config(kind: str, directory: Path) -> dict[str, Any]:
    storage: dict[str, Any] = {"provider": kind}
    if kind == "sqlite":
        storage["path"] = str(directory / "dashboard.sqlite")
    return {"timezone": "UTC", "storage": storage}


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def filled_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ImmersionTrackingStore]:
    """A demo history on each backend. Memory: read through the open tracker's store (it
    dies with the tracker); SQLite: the tracker is closed and the file opened afresh."""
    kind: str = request.param
    config = demo_config(kind, tmp_path_factory.mktemp(f"dashboard-{kind}"))
    clock = ManualClock(START_MS)
    tracker = open_tracker(config, clock=clock)
    try:
        record_demo(tracker, clock)
        if kind == "memory":
            yield tracker.store
            return
    finally:
        tracker.close(timeout_s=60)
    store = open_store(load_config(config))
    try:
        yield store
    finally:
        store.close()


def plain(value: Any) -> Any:
    """What the API should send for a result, computed independently of the dashboard code:
    ``dataclasses.asdict`` with dates as ISO strings and enums as lower-case names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
