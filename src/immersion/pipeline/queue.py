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
``put`` runs on the recording thread, so it allocates nothing the garbage collector tracks
beyond the write itself (a subtitle line comes as its ``LineFields``, one tuple): tickets,
times and writes wait in parallel deques. ``take`` (the worker) turns them into ``Entry``
objects with built writes, outside the lock.

After ``close_and_drop_all`` (the worker stopped) nothing would ever write a new entry: ``put``
counts it as dropped (``closed``) instead.

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
from itertools import repeat
from typing import Literal, NamedTuple

from ..writes import LineFields, Write, is_session_boundary, line_write

__all__ = [
    "DROP_CLOSED",
    "DROP_CLOSE_TIMEOUT",
    "DROP_OUTBOX_FAILED",
    "DROP_OUTBOX_FULL",
    "DROP_QUEUE_FULL",
    "Entry",
    "Head",
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
# runs for every write, on the recording thread). A line's fields are an event: droppable.
_BOUNDARY_BY_TYPE: dict[type, bool] = {tuple: False}
_LINE_KIND = "RecordEvent"  # what a line's fields become, for the drop counts


@dataclass(slots=True)
class Entry:
    """One write taken from the queue."""

    ticket: int
    enqueued_ms: int
    write: Write
    boundary: bool


class Head(NamedTuple):
    """The oldest pending write's ticket and enqueue time."""

    ticket: int
    enqueued_ms: int


def _kind(item: Write | LineFields) -> str:
    return _LINE_KIND if isinstance(item, tuple) else type(item).__name__


def _is_boundary(item: Write | LineFields) -> bool:
    return not isinstance(item, tuple) and is_session_boundary(item)


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
        # The pending writes: three deques in step, and the tickets of the session boundaries.
        self._items: deque[Write | LineFields] = deque()
        self._tickets: deque[int] = deque()
        self._times: deque[int] = deque()  # enqueue times, monotonic ms
        self._boundaries: set[int] = set()
        self.last_ticket = 0
        self.last_put_ms: int | None = None  # monotonic ms of the latest put (idleness)
        self.dropped_by_reason: Counter[str] = Counter()
        self.dropped_by_kind: Counter[str] = Counter()
        # the highest ticket ever lost (dropped here or by the worker): flush reports it
        self.last_lost_ticket = 0
        self.closed = False

    # ------------------------------------------------------------------ producer side

    def put(self, write: Write | LineFields, now_ms: int) -> None:
        """Enqueue ``write`` (at monotonic ``now_ms``), applying the overflow policy."""
        boundary = _BOUNDARY_BY_TYPE.get(type(write))
        if boundary is None:
            boundary = _BOUNDARY_BY_TYPE[type(write)] = _is_boundary(write)
        with self.lock:
            if self.closed:
                self.dropped_by_reason[DROP_CLOSED] += 1
                self.dropped_by_kind[_kind(write)] += 1
                return
            self.last_ticket = ticket = self.last_ticket + 1
            self.last_put_ms = now_ms
            size = len(self._items)
            if boundary:
                self._boundaries.add(ticket)
            elif size >= self.cap:
                if self.policy == "drop_newest" or size == len(self._boundaries):
                    self._count_drop(ticket, write, DROP_QUEUE_FULL)
                    return
                self._drop_oldest_droppable()
                size -= 1
            self._items.append(write)
            self._tickets.append(ticket)
            self._times.append(now_ms)
            if size == 0 or size + 1 == self._ready_size:
                self._on_ready()

    def _drop_oldest_droppable(self) -> None:
        tickets = self._tickets
        # Boundaries are rare, so the first droppable entry is almost always at the head.
        index = 0
        while tickets[index] in self._boundaries:
            index += 1
        ticket, item = tickets[index], self._items[index]
        del tickets[index], self._items[index], self._times[index]
        self._count_drop(ticket, item, DROP_QUEUE_FULL)

    def _count_drop(self, ticket: int, item: Write | LineFields, reason: str) -> None:
        self.dropped_by_reason[reason] += 1
        self.dropped_by_kind[_kind(item)] += 1
        if ticket > self.last_lost_ticket:
            self.last_lost_ticket = ticket

    # ------------------------------------------------------------------ worker side

    def __len__(self) -> int:
        return len(self._items)

    def head(self) -> Head | None:
        """The oldest pending write's ticket and enqueue time, or ``None`` when empty."""
        with self.lock:
            if not self._items:
                return None
            return Head(self._tickets[0], self._times[0])

    def take(self, limit: int) -> list[Entry]:
        """Remove and return up to ``limit`` writes from the head, oldest first; they become
        the in-flight batch (``inflight_first``) until ``set_inflight`` says otherwise."""
        with self.lock:
            count = range(min(limit, len(self._items)))
            pop_item, pop_ticket, pop_time = (
                self._items.popleft,
                self._tickets.popleft,
                self._times.popleft,
            )
            items = [pop_item() for _ in count]
            tickets = [pop_ticket() for _ in count]
            times = [pop_time() for _ in count]
            boundaries = self._boundaries
            edges = [ticket in boundaries for ticket in tickets] if boundaries else None
            if edges is not None:
                boundaries.difference_update(tickets)
            if tickets and self.inflight_first is None:
                self.inflight_first = tickets[0]
        # Outside the lock: the recording thread may put meanwhile.
        writes = [line_write(item) if isinstance(item, tuple) else item for item in items]
        return list(map(Entry, tickets, times, writes, edges or repeat(False)))

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
        return not self._tickets or self._tickets[0] > ticket

    def close_and_drop_all(self, reason: str) -> int:
        """Refuse new writes from now on (``put`` counts them as dropped, ``closed``) and drop
        everything still queued (at a ``close`` that timed out)."""
        with self.lock:
            self.closed = True
            dropped = len(self._items)
            for ticket, item in zip(self._tickets, self._items, strict=True):
                self._count_drop(ticket, item, reason)
            for pending in (self._items, self._tickets, self._times, self._boundaries):
                pending.clear()
            return dropped

    def record_lost(self, entries: list[Entry], reason: str) -> None:
        """Count writes the worker gave up on as dropped (``reason``)."""
        with self.lock:
            for entry in entries:
                self._count_drop(entry.ticket, entry.write, reason)

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
