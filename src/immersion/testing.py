"""Helpers for tests and simulations of the tracker."""

from __future__ import annotations

import threading

__all__ = ["ManualClock"]

# A thread waiting on a ManualClock re-checks at least this often in real time, so a waiter
# whose wake-up was missed cannot hang a test forever. It never decides anything by itself.
_REAL_TIME_GUARD_S = 1.0


class ManualClock:
    """A clock that moves only when told to.

    ``advance(ms)`` moves both the wall clock and the monotonic reading, and wakes every thread
    blocked in ``wait`` so it re-checks its deadline against the new time.
    """

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self._now_ms = int(start_ms)
        self._mono_ms = 0
        self._lock = threading.Lock()
        self._waiters: set[threading.Event] = set()

    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    def monotonic_s(self) -> float:
        with self._lock:
            return self._mono_ms / 1000.0

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now_ms += int(ms)
            self._mono_ms += int(ms)
            waiters = list(self._waiters)
        for event in waiters:
            event.set()

    def set_wall(self, now_ms: int) -> None:
        """Move only the wall clock (e.g. a system clock change); monotonic time is kept."""
        with self._lock:
            self._now_ms = int(now_ms)

    def wait(self, event: threading.Event, timeout_s: float | None) -> bool:
        if event.is_set():
            return True
        if timeout_s is not None and timeout_s <= 0:
            return False
        with self._lock:
            self._waiters.add(event)
        try:
            return event.wait(_REAL_TIME_GUARD_S)
        finally:
            with self._lock:
                self._waiters.discard(event)
