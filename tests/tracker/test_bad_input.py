"""Bad input is stored safely or rejected with a diagnostic; the caller never sees an error."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from immersion import Tracker
from immersion.clock import SystemClock
from immersion.store import ImmersionTrackingStore
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from tests.support.stores import open_store
from tests.tracker.conftest import TrackerFactory

BAD_TIMES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    -1,
    -0.001,
    1e300,
    "12.5",
    None,
    True,
    object(),
    [1.0],
    10**400,
]
SQL_TITLE = 'Robert\'); DROP TABLE videos;-- %_\\ "quoted" `tick`'
SQL_PATH = '/anime/it\'s "100%" _done_; DELETE FROM sessions; --.mkv'
HUGE = "語" * 1_000_000


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImmersionTrackingStore]:
    with open_store(request.param, tmp_path) as opened:
        yield opened


@pytest.mark.parametrize("value", BAD_TIMES, ids=repr)
def test_bad_times_are_rejected_and_counted(make_tracker: TrackerFactory, value: Any) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_playback_position(value)
    tracker.record_media_duration(value)
    tracker.record_subtitle_line("text", value, 2.0)
    tracker.record_subtitle_line("text", 1.0, value)
    assert tracker.diagnostics().bad_input == 4
    session = tracker.session
    assert session is not None
    assert session.counters.lines_seen == 0
    assert session.media_position_ms is None and session.duration_ms is None


def test_other_bad_arguments_are_rejected(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker()
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_subtitle_line(None, 1, 2)
    tracker.record_subtitle_line(b"bytes", 1, 2)
    tracker.record_subtitle_line("ok", 1, 2, tokens=-3)  # counted with our own token count
    tracker.record_subtitle_line("ok too", 2, 3, tokens="7")
    tracker.record_pause_state("no")
    tracker.record_pause_state(2)
    tracker.record_lookup("yes")
    tracker.record_cards_mined(0)
    tracker.record_cards_mined(-2)
    tracker.record_cards_mined("3")
    tracker.record_cards_mined(1, note_ids=["x", None, 5, True])
    tracker.handle_media_title_update(42)
    tracker.handle_media_change(3.14)
    diagnostics = tracker.diagnostics()
    assert diagnostics.bad_input == 12
    assert diagnostics.internal_errors == 0
    session = tracker.session
    assert session is not None and session.video_key == "local:/anime/ep01.mkv"
    assert (session.counters.lines_seen, session.counters.cards_mined) == (2, 1)


def test_hostile_strings_are_stored_safely(
    clock: ManualClock, store: ImmersionTrackingStore
) -> None:
    tracker = Tracker(store, {"timezone": "UTC"}, clock=clock)
    tracker.handle_media_change(SQL_PATH, SQL_TITLE)
    tracker.record_subtitle_line("lone \ud800 surrogate and nul \x00 here", 1, 2)
    tracker.record_subtitle_line(SQL_TITLE, 2, 3)
    tracker.record_subtitle_line(HUGE, 3, 4)
    tracker.record_subtitle_line("\udcff\udcfe", 4, 5)
    tracker.handle_media_title_update("title with \ud83d lone half")
    tracker.handle_media_title_update(HUGE)
    assert tracker.flush(10) is True
    diagnostics = tracker.diagnostics()
    assert (diagnostics.dead_lettered, diagnostics.internal_errors) == (0, 0)

    (summary,) = store.session_summaries()
    assert summary.video_key == f"local:{SQL_PATH}"
    assert summary.title == "語" * 1_024
    assert summary.lines_seen == 4
    texts = [
        json.loads(e.payload_json or "{}").get("text")
        for e in store.session_events(summary.session_uuid)
    ]
    assert texts[0] == "lone \ufffd surrogate and nul \ufffd here"
    assert texts[1] == SQL_TITLE
    assert texts[2].startswith("語") and len(texts[2].encode()) < 256
    assert texts[3] == "\ufffd\ufffd"

    tracker.handle_media_change("/anime/" + "x" * 1_000_000 + ".mkv")
    tracker.handle_media_change("https://ex.example/v.mp4?q=" + "'" * 100_000)
    assert tracker.flush(10) is True
    assert len(store.video_stats()) == 3
    assert all(len(v.video_key) <= 768 for v in store.video_stats())
    assert tracker.close(10) is True


def test_a_store_raising_anything_never_reaches_the_caller(make_tracker: TrackerFactory) -> None:
    class ExplodingStore:
        def write_batch(self, writes: Any) -> None:
            raise RuntimeError("driver bug")

        def close(self) -> None:
            raise OSError("cannot close")

    tracker = make_tracker(ExplodingStore())  # type: ignore[arg-type]
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_lookup(True)
    assert tracker.flush(5) is False
    assert tracker.close(5) is False
    diagnostics = tracker.diagnostics()
    assert diagnostics.dead_lettered == diagnostics.enqueued
    assert diagnostics.last_error is not None


def test_an_internal_failure_becomes_a_diagnostic() -> None:
    class BrokenClock(SystemClock):
        broken = False

        def monotonic_s(self) -> float:
            if self.broken:
                raise RuntimeError("clock exploded")
            return super().monotonic_s()

    clock = BrokenClock()
    with Tracker(MemoryStore(), {"timezone": "UTC"}, clock=clock) as tracker:
        tracker.handle_media_change("/anime/ep01.mkv")
        clock.broken = True
        tracker.record_lookup(True)
        tracker.record_subtitle_line("line", 1, 2)
        tracker.record_playback_position(3)
        diagnostics = tracker.diagnostics()
        assert diagnostics.internal_errors == 3
        assert "clock exploded" in (diagnostics.last_error or "")
        clock.broken = False
