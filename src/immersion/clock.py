"""Time sources. Everything time-based (sessions, flush interval, backoff, maintenance)
reads an injected ``Clock`` so tests and simulations drive time instead of sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    def now_ms(self) -> int:
        """Wall-clock time, integer epoch milliseconds."""
        ...

    def monotonic_s(self) -> float:
        """A monotonic reading in seconds, for intervals and deadlines."""
        ...

    def wait(self, event: threading.Event, timeout_s: float | None) -> bool:
        """Block until ``event`` is set or ``timeout_s`` of this clock's time has passed.

        Returns ``event.is_set()``. May return early (a spurious wake-up): callers re-check
        their own condition against ``monotonic_s()``.
        """
        ...


class SystemClock:
    """The real clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic_s(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, timeout_s: float | None) -> bool:
        return event.wait(None if timeout_s is None else max(0.0, timeout_s))
