"""``WritePipeline``: one background thread that owns every database write.

Writes arrive through ``submit`` (non-blocking, see ``WriteQueue``) and leave in batches:
a batch is written, in one ``store.write_batch`` transaction, as soon as ``batch_size``
writes wait or ``flush_interval_ms`` after the oldest pending write, whichever comes first
(``flush``/``close`` make everything pending due at once).

Failures never reach the producer:

- ``TransientStoreError`` (locked, connection lost): the same batch is retried after a
  capped exponential backoff (``backoff_initial_ms`` doubling up to ``backoff_max_ms``), so
  order is kept; new writes keep queueing meanwhile under the overflow policy.
- Anything else (``PermanentStoreError``, a bug in a store): the batch is split in halves,
  recursively, until each bad write stands alone; it is dead-lettered (counted, kept in
  ``dead_letters()``, logged with repeats collapsed) and everything around it is stored.

All timing of the worker (batch age, backoff) follows the injected ``Clock``. The timeouts
of ``flush``, ``close`` and ``wait_until_idle`` are real seconds: they bound how long the
calling thread blocks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType

from ..clock import Clock
from ..diagnostics import Diagnostics, RepeatCollapser, redact
from ..errors import StoreUnavailableError, TransientStoreError
from ..maintenance import MaintenanceSchedule
from ..store import ImmersionTrackingStore
from ..writes import LineFields, Write
from .outbox import Outbox
from .queue import (
    DROP_CLOSE_TIMEOUT,
    DROP_OUTBOX_FAILED,
    DROP_OUTBOX_FULL,
    Entry,
    OverflowPolicy,
    WriteQueue,
)

__all__ = ["DEFAULT_TIMEOUT_S", "DeadLetter", "WritePipeline"]

# What flush/close wait when given ``None``: long enough for a busy database, short enough
# that interpreter exit never hangs on a dead one.
DEFAULT_TIMEOUT_S = 10.0
_DEAD_LETTERS_KEPT = 100
_FAULT_PAUSE_S = 0.5
# outbox rows replayed per store transaction: catching up after an outage is bulk work
_REPLAY_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A write the store refused permanently, with the (redacted) reason."""

    write: Write
    error: str


class _Stats:
    """Counters guarded by the queue lock."""

    __slots__ = (
        "batches_written",
        "dead_lettered",
        "flush_failures",
        "last_error",
        "last_flush_latency_ms",
        "outbox_replayed",
        "outbox_spilled",
        "retries",
        "written",
    )

    def __init__(self) -> None:
        self.written = 0
        self.batches_written = 0
        self.dead_lettered = 0
        self.flush_failures = 0
        self.retries = 0
        self.last_flush_latency_ms: float | None = None
        self.last_error: str | None = None
        self.outbox_spilled = 0
        self.outbox_replayed = 0


class WritePipeline:
    """A bounded queue of writes drained into ``store`` by one daemon worker thread.

    The pipeline owns the store from now on: the worker closes it when it stops.
    """

    def __init__(
        self,
        store: ImmersionTrackingStore,
        clock: Clock,
        *,
        batch_size: int = 25,
        flush_interval_ms: int = 500,
        queue_cap: int = 1000,
        overflow: OverflowPolicy = "drop_oldest",
        backoff_initial_ms: int = 50,
        backoff_max_ms: int = 5_000,
        secrets: Iterable[str] = (),
        collapser: RepeatCollapser | None = None,
        maintenance: MaintenanceSchedule | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self._store = store
        self._maintenance = maintenance
        self._outbox = outbox
        self._replay_at_ms: int | None = None
        self._replay_backoff_ms = 0
        self._clock = clock
        self._batch_size = max(1, int(batch_size))
        self._interval_ms = max(0, int(flush_interval_ms))
        self._backoff_initial_ms = max(1, int(backoff_initial_ms))
        self._backoff_max_ms = max(self._backoff_initial_ms, int(backoff_max_ms))
        self._secrets = tuple(s for s in secrets if s)
        self._log = collapser or RepeatCollapser()
        self._wake = threading.Event()
        self.queue = WriteQueue(
            queue_cap, overflow, ready_size=self._batch_size, on_ready=self._wake.set
        )
        self._lock = self.queue.lock
        self._changed = self.queue.changed
        self._stats = _Stats()
        self._dead_letters: deque[DeadLetter] = deque(maxlen=_DEAD_LETTERS_KEPT)
        # control, guarded by the queue lock
        self._flush_target = 0  # writes up to this ticket are due now
        self._checked_through = 0  # a flush already reported on writes up to here
        self._idle_requests = 0
        self._idle_ack = 0
        self._stopping = False
        self._abandon = False
        self._finished = False
        self._close_result: bool | None = None
        self._reported_from = 0  # close() reports on writes after this ticket
        self._retrying = False  # worker-only: the last attempt failed transiently
        # submit(write, now_ms): queue ``write`` (or a subtitle line's ``LineFields``) at the
        # clock's monotonic ``now_ms``; never blocks on I/O. After the worker has stopped
        # nothing would ever write it: it is counted as dropped (``closed``) instead. The
        # queue's own method, not a wrapper: it runs for every recorded write.
        self.submit: Callable[[Write | LineFields, int], None] = self.queue.put
        self._thread = threading.Thread(target=self._run, name="immersion-writer", daemon=True)
        self._thread.start()

    # ================================================================== producer API

    def flush(self, timeout_s: float | None = None) -> bool:
        """Write everything submitted before this call, waiting at most ``timeout_s`` seconds.

        Returns ``True`` when all of it was stored in time; ``False`` on timeout, or when any
        write since the previous successful flush was dropped or dead-lettered.
        """
        timeout = DEFAULT_TIMEOUT_S if timeout_s is None else max(0.0, timeout_s)
        with self._changed:
            target = self.queue.last_ticket
            reported_from = self._checked_through
            self._flush_target = max(self._flush_target, target)
            self._wake.set()
            self.queue.flush_targets.append(target)
            try:
                self._changed.wait_for(
                    lambda: self.queue.resolved_through(target) or self._finished, timeout
                )
            finally:
                self.queue.flush_targets.remove(target)
            done = self.queue.resolved_through(target)
            if not done:
                return False
            self._checked_through = max(self._checked_through, target)
            return self.queue.last_lost_ticket <= reported_from and not self.outbox_depth

    def close(self, timeout_s: float | None = None) -> bool:
        """Drain and stop the worker (which then closes the store), within ``timeout_s``.

        Returns whether everything submitted was stored. Writes still pending at the timeout
        are counted as dropped (``close_timeout``). Idempotent: later calls wait for the same
        shutdown and return its result.
        """
        timeout = DEFAULT_TIMEOUT_S if timeout_s is None else max(0.0, timeout_s)
        deadline = time.monotonic() + timeout
        with self._changed:
            if not self._stopping:
                self._stopping = True
                self._flush_target = self.queue.last_ticket
                self._reported_from = self._checked_through
            self._wake.set()
            finished = self._changed.wait_for(lambda: self._finished, timeout)
            if not finished:
                # Give up on what is left; the worker counts it and exits after its current
                # store call (which cannot be interrupted).
                self._abandon = True
                self._wake.set()
                return False
            if self._close_result is None:
                self._close_result = (
                    self.queue.last_lost_ticket <= self._reported_from and not self.outbox_depth
                )
            result = self._close_result
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return result

    def wait_until_idle(self, timeout_s: float | None = None) -> bool:
        """Block until the worker has done everything it can at the current clock reading.

        The worker re-reads the clock and the queue after this call starts, performs what is
        due (possibly several batches) and returns to waiting; then this returns ``True``.
        ``False`` when ``timeout_s`` real seconds passed first. With a ``ManualClock`` this
        makes "advance the clock, then observe the store" deterministic without sleeping.
        """
        timeout = DEFAULT_TIMEOUT_S if timeout_s is None else max(0.0, timeout_s)
        with self._changed:
            self._idle_requests += 1
            request = self._idle_requests
            self._wake.set()
            return self._changed.wait_for(
                lambda: self._idle_ack >= request or self._finished, timeout
            )

    def request_stop(self) -> None:
        """Ask the worker to drain and stop, without waiting (for a dropped tracker)."""
        with self._lock:
            if not self._stopping:
                self._stopping = True
                self._flush_target = self.queue.last_ticket
                self._reported_from = self._checked_through
            self._wake.set()

    @property
    def outbox_depth(self) -> int:
        """Writes waiting in the durable outbox for the store to come back."""
        return self._outbox.depth if self._outbox is not None else 0

    def wake(self) -> None:
        """Make the worker re-check what is due now (e.g. a requested maintenance pass)."""
        self._wake.set()

    def note_error(self, message: str) -> None:
        """Record an error seen outside the worker (e.g. by the tracker) as ``last_error``."""
        with self._lock:
            self._stats.last_error = redact(message, self._secrets)

    def dead_letters(self) -> list[DeadLetter]:
        """The most recent dead-lettered writes (at most 100), oldest first."""
        with self._lock:
            return list(self._dead_letters)

    def diagnostics(self, *, bad_input: int = 0, internal_errors: int = 0) -> Diagnostics:
        """A consistent snapshot of the pipeline's counters."""
        with self._lock:
            s, q = self._stats, self.queue
            return Diagnostics(
                queue_depth=len(q),
                enqueued=q.last_ticket,
                written=s.written,
                dropped=sum(q.dropped_by_reason.values()),
                dropped_by=MappingProxyType(dict(q.dropped_by_reason)),
                dropped_by_kind=MappingProxyType(dict(q.dropped_by_kind)),
                dead_lettered=s.dead_lettered,
                flush_failures=s.flush_failures,
                retries=s.retries,
                batches_written=s.batches_written,
                last_flush_latency_ms=s.last_flush_latency_ms,
                last_error=s.last_error,
                bad_input=bad_input,
                internal_errors=internal_errors,
                worker_alive=self._thread.is_alive(),
                outbox_depth=self.outbox_depth,
                outbox_peak=self._outbox.peak if self._outbox is not None else 0,
                outbox_spilled=s.outbox_spilled,
                outbox_replayed=s.outbox_replayed,
            )

    # ================================================================== worker

    def _run(self) -> None:
        inflight: deque[list[Entry]] = deque()
        try:
            while True:
                try:
                    self._loop(inflight)
                    return
                except Exception as exc:
                    # A bug (ours, or a broken clock): report it and carry on after a real
                    # pause, so a persistent fault cannot spin the CPU.
                    self._report(f"immersion writer error: {type(exc).__name__}: {exc}")
                    with self._lock:
                        if self._abandon:
                            return
                    self._wake.wait(_FAULT_PAUSE_S)
                    self._wake.clear()
        finally:
            self.queue.record_lost([e for segment in inflight for e in segment], DROP_CLOSE_TIMEOUT)
            self.queue.set_inflight(None)
            self.queue.close_and_drop_all(DROP_CLOSE_TIMEOUT)
            try:
                self._store.close()
            except Exception as exc:
                self._report(f"closing the store failed: {type(exc).__name__}: {exc}")
            if self._outbox is not None:
                if self._outbox.depth:
                    self._log.warning(
                        f"{self._outbox.depth} writes wait in the outbox {self._outbox.path}; "
                        "they are replayed when a tracker next reaches the store"
                    )
                with contextlib.suppress(Exception):
                    self._outbox.close()
            self._log.flush()
            with self._changed:
                self._finished = True
                self._changed.notify_all()

    def _loop(self, inflight: deque[list[Entry]]) -> None:
        backoff_ms = 0
        retry_at_ms: int | None = None
        while True:
            self._wake.clear()
            # Control state first, clock second: a wait_until_idle() request seen here was
            # made after any clock advance that preceded it, so the reading below includes it.
            with self._lock:
                idle_request = self._idle_requests
                flush_target = self._flush_target
                stopping, abandon = self._stopping, self._abandon
            if abandon:
                return
            now = self._now_ms()
            timeout_ms: int | None
            if not inflight and self.outbox_depth:
                if stopping and self._replay_at_ms is not None:
                    self._replay_at_ms = min(self._replay_at_ms, now)  # one last try
                if self._replay_at_ms is None or now >= self._replay_at_ms:
                    if self._replay_outbox():
                        self._replay_backoff_ms, self._replay_at_ms = 0, None
                        continue
                    if stopping and not len(self.queue):
                        return  # the store is still away; the outbox keeps the rest
                    self._replay_backoff_ms = min(
                        self._backoff_max_ms,
                        self._replay_backoff_ms * 2 or self._backoff_initial_ms,
                    )
                    self._replay_at_ms = self._now_ms() + self._replay_backoff_ms
            if not inflight:
                head = self.queue.head()
                if head is not None and (
                    len(self.queue) >= self._batch_size
                    or now - head.enqueued_ms >= self._interval_ms
                    or head.ticket <= flush_target
                    or stopping
                ):
                    inflight.append(self.queue.take(self._batch_size))
            if inflight:
                if retry_at_ms is None or now >= retry_at_ms:
                    if self._write_segments(inflight):
                        backoff_ms, retry_at_ms = 0, None
                    else:
                        backoff_ms = min(
                            self._backoff_max_ms, backoff_ms * 2 or self._backoff_initial_ms
                        )
                        retry_at_ms = self._now_ms() + backoff_ms
                    continue
                timeout_ms = retry_at_ms - now
            elif stopping and not len(self.queue) and not self.outbox_depth:
                return
            else:
                head = self.queue.head()
                timeout_ms = None if head is None else head.enqueued_ms + self._interval_ms - now
                if self.outbox_depth and self._replay_at_ms is not None:
                    replay_in = self._replay_at_ms - now
                    timeout_ms = replay_in if timeout_ms is None else min(timeout_ms, replay_in)
                if self._maintenance is not None and not stopping:
                    due_ms = self._maintenance.due_in_ms(now, self.queue.last_put_ms)
                    if due_ms is not None and due_ms <= 0:
                        if head is not None:
                            # A pass starts from a written state: drain the queue first.
                            with self._lock:
                                self._flush_target = max(self._flush_target, head.ticket)
                            continue
                        self._maintenance.run_due(now, self.queue.last_put_ms)
                        continue
                    if due_ms is not None:
                        timeout_ms = due_ms if timeout_ms is None else min(timeout_ms, due_ms)
            with self._changed:
                self._idle_ack = idle_request
                self._changed.notify_all()
            self._clock.wait(self._wake, None if timeout_ms is None else timeout_ms / 1000.0)

    def _now_ms(self) -> int:
        return round(self._clock.monotonic_s() * 1000)

    def _write_segments(self, inflight: deque[list[Entry]]) -> bool:
        """Write the in-flight segments in order; ``False`` at a transient failure (the
        failed segment stays first). A permanently failing segment is split in halves."""
        while inflight:
            if self.outbox_depth:
                # Earlier writes wait in the outbox: these go behind them, keeping order.
                self._spill(inflight)
                break
            segment = inflight[0]
            started = time.perf_counter()
            try:
                self._store.write_batch([entry.write for entry in segment])
            except TransientStoreError as exc:
                if self._outbox is not None and isinstance(exc, StoreUnavailableError):
                    self._failed(f"store unreachable, writes go to the outbox: {exc}")
                    self._spill(inflight)
                    self._replay_at_ms = self._now_ms() + self._backoff_initial_ms
                    self._replay_backoff_ms = self._backoff_initial_ms
                    break
                self._retrying = True
                self._failed(f"store busy or unreachable, will retry: {exc}", retry=True)
                return False
            except Exception as exc:
                self._failed(f"store refused a batch: {type(exc).__name__}: {exc}", log=False)
                inflight.popleft()
                if len(segment) == 1:
                    self._dead_letter(segment[0], exc)
                else:
                    middle = len(segment) // 2
                    inflight.appendleft(segment[middle:])
                    inflight.appendleft(segment[:middle])
            else:
                inflight.popleft()
                with self._lock:
                    self._stats.written += len(segment)
                    self._stats.batches_written += 1
                    self._stats.last_flush_latency_ms = (time.perf_counter() - started) * 1000
                if self._retrying:
                    self._retrying = False
                    self._log.log(logging.INFO, "store writes resumed")
            self.queue.set_inflight(inflight[0][0].ticket if inflight else None)
        return True

    def _dead_letter(self, entry: Entry, exc: BaseException) -> None:
        self._dead_letter_write(entry.write, exc)
        self.queue.note_lost_ticket(entry.ticket)

    def _dead_letter_write(self, write: Write, exc: BaseException) -> None:
        kind = type(write).__name__
        reason = redact(f"{type(exc).__name__}: {_first_line(exc)}", self._secrets)
        with self._lock:
            self._stats.dead_lettered += 1
            self._dead_letters.append(DeadLetter(write, reason))
        self._log.error(f"dead-lettered a {kind} write the store refused: {reason}")

    # ================================================================== outbox

    def _spill(self, inflight: deque[list[Entry]]) -> None:
        """Move every in-flight write into the durable outbox, in order (they count as
        resolved: they are safe on disk and will be replayed)."""
        assert self._outbox is not None
        entries = [entry for segment in inflight for entry in segment]
        inflight.clear()
        try:
            dropped = self._outbox.append([(entry.write, entry.boundary) for entry in entries])
        except Exception as exc:  # the local disk failed too: these writes are lost
            self._report(f"the outbox at {self._outbox.path} failed: {exc}")
            self.queue.record_lost(entries, DROP_OUTBOX_FAILED)
        else:
            with self._lock:
                self._stats.outbox_spilled += len(entries) - len(dropped)
            for kind in dropped:
                self.queue.record_lost_kind(kind, DROP_OUTBOX_FULL)
        self.queue.set_inflight(None)

    def _replay_outbox(self) -> bool:
        """Write the oldest outbox rows to the store; ``False`` when the store is still away.

        Idempotent: a chunk whose commit succeeded but whose acknowledgement was lost is
        written again harmlessly. A chunk the store refuses permanently is replayed write by
        write so that only the bad writes are dead-lettered."""
        assert self._outbox is not None
        rows = self._outbox.peek(max(self._batch_size, _REPLAY_CHUNK))
        done: list[int] = []
        writes = []
        for row_id, write, kind in rows:
            if write is None:
                self._dead_letter_write_kind(kind)
                done.append(row_id)
            else:
                writes.append((row_id, write))
        try:
            self._store.write_batch([write for _, write in writes])
            done.extend(row_id for row_id, _ in writes)
        except TransientStoreError as exc:
            self._outbox.remove(done)
            self._failed(f"store still unreachable, {self._outbox.depth} writes wait: {exc}")
            return False
        except Exception:
            for row_id, write in writes:
                try:
                    self._store.write_batch([write])
                except TransientStoreError:
                    self._outbox.remove(done)
                    return False
                except Exception as exc:
                    self._dead_letter_write(write, exc)
                done.append(row_id)
        self._outbox.remove(done)
        with self._lock:
            self._stats.written += len(writes)
            self._stats.outbox_replayed += len(writes)
        if not self.outbox_depth:
            self._log.log(logging.INFO, "store is back: the outbox is empty again")
        with self._changed:
            self._changed.notify_all()
        return True

    def _dead_letter_write_kind(self, kind: str) -> None:
        with self._lock:
            self._stats.dead_lettered += 1
        self._log.error(f"dead-lettered an unreadable {kind} write from the outbox")

    def _failed(self, message: str, *, retry: bool = False, log: bool = True) -> None:
        """A batch write failed."""
        message = redact(message, self._secrets)
        with self._lock:
            self._stats.flush_failures += 1
            self._stats.retries += int(retry)
            self._stats.last_error = message
        if log:
            self._log.log(logging.WARNING if retry else logging.ERROR, _first_line(message))

    def _report(self, message: str) -> None:
        """Something other than a batch write failed."""
        message = redact(message, self._secrets)
        with self._lock:
            self._stats.last_error = message
        with contextlib.suppress(Exception):  # a broken logging setup must not stop us
            self._log.error(_first_line(message))


def _first_line(value: object) -> str:
    text = str(value)
    return text.split("\n", 1)[0][:500]
