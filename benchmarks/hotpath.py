"""What one recording call costs the caller: ``record_subtitle_line`` and
``record_playback_position``, median and p99, with the database free and with it locked.

A tracker with the default configuration records into the backend's loaded database. Each
call is timed on its own with ``perf_counter_ns`` while the worker thread writes behind it, as
in a player. "Locked": another connection holds a write lock on the tables the tracker writes
(SQLite ``BEGIN EXCLUSIVE``, PostgreSQL ``LOCK TABLE ... IN EXCLUSIVE MODE``, MySQL
``LOCK TABLES ... WRITE``), so the worker is stuck and the queue overflows: the calls must
cost the same. The memory store cannot be locked: only "free" is measured there.

Beside them, the machine's own tail for a call of that length: a plain Python function (split
a subtitle line, join and encode it; no tracker, no second thread), repeated so that its
median matches ``record_subtitle_line``'s, timed the same way. On a virtual machine a few
interrupts or stolen slices land in 1% of any ~10 µs window; this tells how much of a p99 is
the machine rather than the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from immersion.tracker import Tracker

from .backends import Backend, locked_or_not
from .generator import ZONE, subtitle_lines
from .timing import summarize

__all__ = ["CALLS", "measure_hot_path"]

CALLS = ("record_subtitle_line", "record_playback_position")


def _time_calls(calls: int, call: Callable[[int], None]) -> dict[str, float]:
    samples: list[int] = []
    clock = time.perf_counter_ns
    for index in range(calls):
        started = clock()
        call(index)
        samples.append(clock() - started)
    return summarize(samples, 1e3, digits=2)


def _measure(backend: Backend, calls: int, *, locked: bool) -> dict[str, Any]:
    lines = subtitle_lines(calls)
    tracker = Tracker(backend.open_store(), {"timezone": ZONE, "maintenance": {"enabled": False}})
    try:
        tracker.handle_media_change("/home/learner/hotpath/hot-path.mkv", "hot path")
        tracker.flush(30)
        with locked_or_not(backend, locked):
            line = tracker.record_subtitle_line
            position = tracker.record_playback_position
            result: dict[str, Any] = {
                "record_subtitle_line": _time_calls(
                    calls, lambda i: line(lines[i], i * 2.0, i * 2.0 + 1.5)
                ),
                "record_playback_position": _time_calls(calls, lambda i: position(i * 0.25)),
            }
            result["dropped_while_measuring"] = tracker.diagnostics().dropped
    finally:
        tracker.close(60)
    return result


def _plain(text: str) -> bytes:
    return " ".join(text.split()).encode("utf-8")


def _reference(calls: int, median_us: float) -> dict[str, Any]:
    """``_plain`` repeated to a median of about ``median_us``, timed like the calls."""
    lines = subtitle_lines(calls)
    once = _time_calls(min(calls, 2_000), lambda i: _plain(lines[i]))["p50"]
    repeat = max(1, round(median_us / max(once, 0.01)))

    def call(index: int) -> None:
        text = lines[index]
        for _ in range(repeat):
            _plain(text)

    return {"repetitions": repeat, **_time_calls(calls, call)}


def measure_hot_path(backend: Backend, calls: int) -> dict[str, Any]:
    """``{"free": {...}, "locked": {...} or None, "reference": {...}}`` with each call's
    summary in µs (``reference``: see the module docstring)."""
    free = _measure(backend, calls, locked=False)
    return {
        "calls": calls,
        "free": free,
        "locked": None if backend.kind == "memory" else _measure(backend, calls, locked=True),
        "reference": _reference(calls, free["record_subtitle_line"]["p50"]),
    }
