"""The bounded write queue between the recording thread(s) and the worker.

``put`` never blocks beyond a short lock and never does I/O. When the queue holds ``cap``
writes, the overflow policy decides what is lost:

- ``drop_oldest`` (default): the oldest *droppable* write is removed to make room;
- ``drop_newest``: the incoming write is refused.

Session boundaries (``writes.is_session_boundary``: video upserts, session starts and
finalizes) are never dropped: they are always accepted, even past the cap, and never chosen as
the oldest write to drop. Every drop is counted by reason and by write kind.

Each entry carries a ticket (its enqueue number, increasing) and its enqueue time on the
monotonic clock in integer milliseconds (integers: a float subtraction would make "500 ms
after" fire at 499.99...), so the worker can batch by age and ``flush`` can wait for a ticket.

The queue also knows the first ticket of the batch the worker has taken but not finished
(``inflight_first``), so "every write up to ticket T is resolved" is one check under one lock
(``changed`` is a condition on that lock). ``flush`` callers register the ticket they wait
for in ``flush_targets``; resolving writes notifies ``changed`` only once one of them is
reached, so a waiting flush does not wake (and take the interpreter lock from the worker)
after every batch.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..writes import Write, is_session_boundary

__all__ = [
    "DROP_CLOSED",
    "DROP_CLOSE_TIMEOUT",
    "DROP_OUTBOX_FAILED",
    "DROP_OUTBOX_FULL",
    "DROP_QUEUE_FULL",
    "Entry",
    "OverflowPolicy",
    "WriteQueue",
]

OverflowPolicy = Literal["drop_oldest", "drop_newest"]

DROP_QUEUE_FULL = "queue_full"
DROP_CLOSE_TIMEOUT = "close_timeout"
DROP_CLOSED = "closed"
DROP_OUTBOX_FULL = "outbox_full"
DROP_OUTBOX_FAILED = "outbox_failed"


# is_session_boundary() decides by the write's class: remember its answer per class (this
# runs for every write, on the recording thread).
_BOUNDARY_BY_TYPE: dict[type, bool] = {}


@dataclass(slots=True)
class Entry:
    """One queued write."""

    ticket: int
    enqueued_ms: int
    write: Write
    boundary: bool


class WriteQueue:
    """A bounded FIFO of writes with an overflow policy; all methods are thread-safe.

    ``on_ready`` is called under the queue lock (so it must be cheap, e.g. ``Event.set``) when
    the worker should look again: the queue became non-empty, or reached ``ready_size``.
    """

    def __init__(
        self,
        cap: int,
        policy: OverflowPolicy,
        *,
        ready_size: int,
        on_ready: Callable[[], None],
    ) -> None:
        if policy not in ("drop_oldest", "drop_newest"):
            raise ValueError(f"unknown overflow policy {policy!r}")
        self.cap = cap
        self.policy: OverflowPolicy = policy
        self._ready_size = ready_size
        self._on_ready = on_ready
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.inflight_first: int | None = None
        self.flush_targets: list[int] = []  # tickets waited for by flush() calls (lock held)
        self._entries: deque[Entry] = deque()
        self._droppable = 0  # entries that are not session boundaries
        self.last_ticket = 0
        self.last_put_ms: int | None = None  # monotonic ms of the latest put (idleness)
        self.dropped_by_reason: Counter[str] = Counter()
        self.dropped_by_kind: Counter[str] = Counter()
        # the highest ticket ever lost (dropped here or by the worker): flush reports it
        self.last_lost_ticket = 0

    # ------------------------------------------------------------------ producer side

    def put(self, write: Write, now_ms: int) -> None:
        """Enqueue ``write`` (at monotonic ``now_ms``), applying the overflow policy."""
        boundary = _BOUNDARY_BY_TYPE.get(type(write))
        if boundary is None:
            boundary = _BOUNDARY_BY_TYPE[type(write)] = is_session_boundary(write)
        with self.lock:
            self.last_ticket += 1
            self.last_put_ms = now_ms
            entry = Entry(self.last_ticket, now_ms, write, boundary)
            entries = self._entries
            if len(entries) >= self.cap and not boundary:
                if self.policy == "drop_newest" or not self._droppable:
                    self._count_drop(entry, DROP_QUEUE_FULL)
                    return
                self._drop_oldest_droppable()
            entries.append(entry)
            if not boundary:
                self._droppable += 1
            size = len(entries)
            if size == 1 or size == self._ready_size:
                self._on_ready()

    def _drop_oldest_droppable(self) -> None:
        entries = self._entries
        # Boundaries are rare, so the first droppable entry is almost always at the head.
        for index, entry in enumerate(entries):
            if not entry.boundary:
                del entries[index]
                self._droppable -= 1
                self._count_drop(entry, DROP_QUEUE_FULL)
                return

    def _count_drop(self, entry: Entry, reason: str) -> None:
        self.dropped_by_reason[reason] += 1
        self.dropped_by_kind[type(entry.write).__name__] += 1
        if entry.ticket > self.last_lost_ticket:
            self.last_lost_ticket = entry.ticket

    # ------------------------------------------------------------------ worker side

    def __len__(self) -> int:
        return len(self._entries)

    def head(self) -> Entry | None:
        """The oldest pending write, or ``None`` when empty."""
        with self.lock:
            return self._entries[0] if self._entries else None

    def take(self, limit: int) -> list[Entry]:
        """Remove and return up to ``limit`` writes from the head, oldest first; they become
        the in-flight batch (``inflight_first``) until ``set_inflight`` says otherwise."""
        with self.lock:
            entries = self._entries
            taken = [entries.popleft() for _ in range(min(limit, len(entries)))]
            self._droppable -= sum(1 for entry in taken if not entry.boundary)
            if taken and self.inflight_first is None:
                self.inflight_first = taken[0].ticket
            return taken

    def set_inflight(self, first_ticket: int | None) -> None:
        """Record the first unresolved in-flight ticket (``None``: nothing in flight) and
        wake the flushes waiting for progress once one of them is satisfied."""
        with self.lock:
            self.inflight_first = first_ticket
            targets = self.flush_targets
            if targets and self.resolved_through(min(targets)):
                self.changed.notify_all()

    def resolved_through(self, ticket: int) -> bool:
        """Whether every write with a ticket <= ``ticket`` is resolved (stored, dropped or
        dead-lettered). Call with ``lock`` held."""
        if self.inflight_first is not None:
            return self.inflight_first > ticket
        return not self._entries or self._entries[0].ticket > ticket

    def drop_all(self, reason: str) -> int:
        """Drop everything still queued (e.g. at a ``close`` that timed out)."""
        with self.lock:
            dropped = len(self._entries)
            for entry in self._entries:
                self._count_drop(entry, reason)
            self._entries.clear()
            self._droppable = 0
            return dropped

    def record_lost(self, entries: list[Entry], reason: str) -> None:
        """Count writes the worker gave up on as dropped (``reason``)."""
        with self.lock:
            for entry in entries:
                self._count_drop(entry, reason)

    def record_lost_write(self, write: Write, reason: str) -> None:
        """Count a write that never entered the queue as dropped (``reason``)."""
        with self.lock:
            self.dropped_by_reason[reason] += 1
            self.dropped_by_kind[type(write).__name__] += 1

    def record_lost_kind(self, kind: str, reason: str) -> None:
        """Count one write of class name ``kind`` lost after it left the queue."""
        with self.lock:
            self.dropped_by_reason[reason] += 1
            self.dropped_by_kind[kind] += 1

    def note_lost_ticket(self, ticket: int) -> None:
        """Remember that the write with ``ticket`` was not stored (dead-lettered)."""
        with self.lock:
            if ticket > self.last_lost_ticket:
                self.last_lost_ticket = ticket
