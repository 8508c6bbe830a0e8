"""WriteQueue: overflow policies around session boundaries, tickets and readiness."""

from __future__ import annotations

import datetime as dt

from immersion.domain import EventType, SessionCounters, SourceType, TrackedEvent, Video
from immersion.pipeline import WritePipeline, WriteQueue
from immersion.testing import ManualClock
from immersion.writes import FinalizeSession, RecordEvent, StartSession, UpsertVideo, Write


def _event(seq: int) -> RecordEvent:
    return RecordEvent(TrackedEvent("s", seq, seq, EventType.LOOKUP))


START = StartSession("s", "local:/v", 0, dt.date(2026, 1, 1), 202601, 0)
FINALIZE = FinalizeSession("s", 10, SessionCounters())
VIDEO = UpsertVideo(Video("local:/v", "v", SourceType.LOCAL))


def _queue(policy: str = "drop_oldest", cap: int = 4) -> tuple[WriteQueue, list[int]]:
    wakes: list[int] = []
    queue = WriteQueue(cap, policy, ready_size=3, on_ready=lambda: wakes.append(1))  # type: ignore[arg-type]
    return queue, wakes


def _writes(queue: WriteQueue) -> list[Write]:
    return [entry.write for entry in queue.take(100)]


def test_drop_oldest_skips_boundaries() -> None:
    queue, _ = _queue()
    for write in (START, _event(1), _event(2), _event(3), _event(4), _event(5)):
        queue.put(write, 0)
    assert _writes(queue) == [START, _event(3), _event(4), _event(5)]
    assert dict(queue.dropped_by_kind) == {"RecordEvent": 2}


def test_a_queue_full_of_boundaries_drops_the_incoming_event() -> None:
    queue, _ = _queue()
    for write in (VIDEO, START, FINALIZE, VIDEO):
        queue.put(write, 0)
    queue.put(_event(1), 0)
    queue.put(START, 0)  # boundaries always get in
    assert _writes(queue) == [VIDEO, START, FINALIZE, VIDEO, START]
    assert dict(queue.dropped_by_reason) == {"queue_full": 1}


def test_drop_newest_keeps_the_head() -> None:
    queue, _ = _queue("drop_newest")
    for seq in range(1, 7):
        queue.put(_event(seq), 0)
    queue.put(FINALIZE, 0)
    assert _writes(queue) == [_event(1), _event(2), _event(3), _event(4), FINALIZE]
    assert queue.last_ticket == 7
    assert queue.last_lost_ticket == 6


def test_the_worker_is_woken_when_work_appears_and_at_batch_size() -> None:
    queue, wakes = _queue(cap=100)
    queue.put(_event(1), 0)
    assert len(wakes) == 1  # became non-empty
    queue.put(_event(2), 0)
    assert len(wakes) == 1
    queue.put(_event(3), 0)
    assert len(wakes) == 2  # reached ready_size


def test_tickets_and_resolution() -> None:
    queue, _ = _queue(cap=100)
    for seq in range(1, 5):
        queue.put(_event(seq), 0)
    with queue.lock:
        assert not queue.resolved_through(1)
    taken = queue.take(2)
    with queue.lock:
        assert not queue.resolved_through(2)  # in flight
    queue.set_inflight(None)
    with queue.lock:
        assert queue.resolved_through(2) and not queue.resolved_through(3)
    assert [entry.ticket for entry in taken] == [1, 2]


def test_writes_submitted_after_the_worker_stopped_are_counted(clock: ManualClock) -> None:
    from immersion.stores.memory import MemoryStore

    pipeline = WritePipeline(MemoryStore(), clock)
    assert pipeline.close(5) is True
    pipeline.submit(_event(1), 0)
    diagnostics = pipeline.diagnostics()
    assert dict(diagnostics.dropped_by) == {"closed": 1}
    assert diagnostics.queue_depth == 0
