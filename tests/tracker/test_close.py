"""close() finalizes the session, drains within its timeout, stops the worker; idempotent."""

from __future__ import annotations

import atexit
import contextlib
import gc
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from immersion import Tracker
from immersion.stores.memory import MemoryStore
from immersion.stores.sqlite import SqliteStore
from immersion.testing import ManualClock
from tests.tracker.conftest import TrackerFactory
from tests.tracker.helpers import NO_AUTO_FLUSH, ScriptedStore


def test_close_drains_everything_and_finalizes_the_session(
    make_tracker: TrackerFactory, clock: ManualClock
) -> None:
    store = MemoryStore()
    tracker = make_tracker(store, write=NO_AUTO_FLUSH)
    tracker.handle_media_change("/anime/ep01.mkv", "Episode 1")
    for second in range(40):
        tracker.record_playback_position(second)
        tracker.record_subtitle_line(f"line {second}", second, second + 0.8)
        clock.advance(1_000)
    assert store.session_summaries() == []  # nothing due yet

    assert tracker.close(5) is True
    (summary,) = store.session_summaries()
    assert summary.title == "Episode 1"
    assert summary.lines_seen == 40
    assert summary.ended_at_ms == clock.now_ms()
    assert summary.ended_media_ms == 39_000
    diagnostics = tracker.diagnostics()
    assert diagnostics.queue_depth == 0
    assert diagnostics.written == diagnostics.enqueued
    assert not diagnostics.worker_alive


def test_close_is_idempotent_and_later_calls_are_no_ops(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    assert tracker.close(5) is True
    enqueued = tracker.diagnostics().enqueued
    assert tracker.close(5) is True
    tracker.handle_media_change("/anime/ep02.mkv")
    tracker.record_lookup(True)
    tracker.record_subtitle_line("late", 1, 2)
    assert tracker.flush(1) is True
    assert tracker.diagnostics().enqueued == enqueued
    assert len(store.session_summaries()) == 1


def test_context_manager_closes(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    with make_tracker(store) as tracker:
        tracker.handle_media_change("https://media.example/ep01.mkv")
    (summary,) = store.session_summaries()
    assert summary.ended_at_ms is not None
    assert not tracker.diagnostics().worker_alive


def test_close_honours_its_timeout_when_the_store_hangs(make_tracker: TrackerFactory) -> None:
    store = ScriptedStore()
    store.gate = threading.Event()  # every write blocks until released
    tracker = make_tracker(store, write={"batch_size": 1})
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_lookup(True)

    started = time.monotonic()
    assert tracker.close(0.2) is False
    assert time.monotonic() - started < 2.0

    # Released, the worker finishes the write it was in, counts the rest as dropped, exits.
    store.gate.set()
    assert tracker.close(5) is False
    diagnostics = tracker.diagnostics()
    assert not diagnostics.worker_alive
    assert diagnostics.written == 1
    assert diagnostics.dropped_by == {"close_timeout": diagnostics.enqueued - 1}


def test_close_reports_success_when_the_last_write_lands_after_the_timeout(
    make_tracker: TrackerFactory,
) -> None:
    store = ScriptedStore()
    store.gate = threading.Event()
    tracker = make_tracker(store, write=NO_AUTO_FLUSH)  # everything goes in one batch
    tracker.handle_media_change("/anime/ep01.mkv")
    assert tracker.close(0.1) is False
    store.gate.set()
    assert tracker.close(5) is True  # the one in-flight batch held everything
    assert len(store.session_summaries()) == 1


def test_close_removes_the_exit_hook_and_the_tracker_can_be_collected(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    Tracker(MemoryStore(), {"timezone": "UTC"}, clock=clock).close(5)  # weakref's own hook
    registered: list[object] = []
    unregistered: list[object] = []
    monkeypatch.setattr(atexit, "register", _spy(atexit.register, registered))
    monkeypatch.setattr(atexit, "unregister", _spy(atexit.unregister, unregistered))
    tracker = Tracker(MemoryStore(), {"timezone": "UTC"}, clock=clock)
    assert len(registered) == 1 and unregistered == []
    tracker.close(5)
    assert unregistered == registered
    ref = weakref.ref(tracker)
    del tracker
    gc.collect()
    assert ref() is None


def _spy(function: Callable[..., Any], calls: list[object]) -> Callable[..., Any]:
    def spy(hook: object, *args: Any) -> Any:
        calls.append(hook)
        return function(hook, *args)

    return spy


def test_a_dropped_tracker_drains_and_stops_its_worker(clock: ManualClock) -> None:
    store = ScriptedStore()
    tracker = Tracker(store, {"timezone": "UTC"}, clock=clock)
    tracker.handle_media_change("/anime/ep01.mkv")
    del tracker
    gc.collect()
    assert store.closed.wait(5)  # the worker wrote what was queued, then closed the store
    assert len(store.session_summaries()) == 1


EXIT_SCRIPT = """
import atexit, sys
from immersion import open_tracker
# Registered before the tracker's own hook, so it runs after it: what did the exit store?
atexit.register(lambda: print(tracker.diagnostics(), file=sys.stderr))
tracker = open_tracker({"storage": {"provider": "sqlite", "path": sys.argv[1]}, "timezone": "UTC"})
tracker.handle_media_change("/anime/ep01.mkv")
tracker.record_subtitle_line("最後の行", 1, 2)
# no close(): the interpreter exits with the session still active
"""


def test_interpreter_exit_finalizes_and_drains(tmp_path: Path) -> None:
    path = tmp_path / "exit.sqlite"
    result = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with contextlib.closing(SqliteStore(path)) as store:
        summaries = store.session_summaries()
    assert len(summaries) == 1, result.stderr
    (summary,) = summaries
    assert summary.ended_at_ms is not None
    assert summary.lines_seen == 1
