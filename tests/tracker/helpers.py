"""Test doubles and small helpers for the tracker tests."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from immersion.errors import StoreIntegrityError, TransientStoreError
from immersion.store import ImmersionTrackingStore
from immersion.stores.memory import MemoryStore
from immersion.writes import RecordEvent, Write

# Batching effectively off: nothing is written until a flush or close asks for it.
NO_AUTO_FLUSH = {"batch_size": 10_000, "flush_interval_ms": 60_000}


class ScriptedStore:
    """A real store (``MemoryStore`` by default) whose ``write_batch`` can be scripted.

    - ``transient_failures``: fail that many next attempts with ``TransientStoreError``;
    - ``poison``: writes for which the whole batch fails with ``StoreIntegrityError``;
    - ``gate``: when set to an unset ``threading.Event``, attempts block until it is set.

    ``batches`` lists every batch that was stored, ``attempts`` every call, with the clock
    reading of ``attempt_clock`` (if given) at each attempt; ``closed`` is set on ``close``.
    """

    def __init__(
        self,
        inner: ImmersionTrackingStore | None = None,
        *,
        attempt_clock: Callable[[], float] | None = None,
    ) -> None:
        self.inner = inner if inner is not None else MemoryStore()
        self.transient_failures = 0
        self.poison: Callable[[Write], bool] = lambda write: False
        self.gate: threading.Event | None = None
        self.batches: list[list[Write]] = []
        self.attempts: list[tuple[float | None, int]] = []
        self._attempt_clock = attempt_clock
        self.closed = threading.Event()
        self._lock = threading.Lock()

    def write_batch(self, writes: Sequence[Write]) -> None:
        with self._lock:
            now = self._attempt_clock() if self._attempt_clock else None
            self.attempts.append((now, len(writes)))
        if self.gate is not None:
            self.gate.wait(30)
        with self._lock:
            if self.transient_failures:
                self.transient_failures -= 1
                raise TransientStoreError("database is locked (scripted)")
        if any(self.poison(write) for write in writes):
            raise StoreIntegrityError("poisoned write (scripted)")
        self.inner.write_batch(writes)
        with self._lock:
            self.batches.append(list(writes))

    def close(self) -> None:
        self.closed.set()
        self.inner.close()

    def stored_writes(self) -> list[Write]:
        with self._lock:
            return [write for batch in self.batches for write in batch]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def counting_uuids(prefix: str = "session") -> Callable[[], str]:
    """Deterministic session identifiers: ``session-0001``, ``session-0002``, ..."""
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter):04d}"


def event_seqs(store: ImmersionTrackingStore, session_uuid: str) -> list[int]:
    return [event.seq for event in store.session_events(session_uuid, limit=100_000)]


def is_event(write: Write) -> bool:
    return isinstance(write, RecordEvent)
