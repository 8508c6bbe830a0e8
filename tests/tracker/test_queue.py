"""WriteQueue: overflow policies around session boundaries, tickets and readiness."""

from __future__ import annotations

import datetime as dt

import pytest

from immersion.domain import EventType, SessionCounters, SourceType, TrackedEvent, Video
from immersion.payload import encode_line_payload
from immersion.pipeline import WritePipeline, WriteQueue
from immersion.testing import ManualClock
from immersion.writes import (
    FinalizeSession,
    LineFields,
    RecordEvent,
    StartSession,
    UpsertVideo,
    Write,
    line_write,
)


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


# ----------------------------------------------------------------- subtitle lines as fields


def _line(seq: int, text: str = "今日は いい 天気") -> LineFields:
    return ("s", seq, 1_000 + seq, seq - 1, seq * 1_000, seq * 1_000 + 900, 3, text, 256)


@pytest.mark.parametrize("text", ["今日は いい 天気", "plain words", "長い" * 400])
def test_a_line_is_built_as_the_event_its_fields_describe(text: str) -> None:
    built = line_write(_line(7, text))
    expected = RecordEvent(
        TrackedEvent(
            "s", 7, 1_007, EventType.SUBTITLE_LINE, 6, 7_000, 7_900, 3, 0,
            encode_line_payload(text, 3, 256),
        )
    )  # fmt: skip
    assert built == expected and hash(built) == hash(expected) and repr(built) == repr(expected)
    assert type(built) is RecordEvent and type(built.event) is TrackedEvent


def test_queued_lines_come_out_as_events_and_drop_as_events() -> None:
    queue, _ = _queue(cap=3)
    queue.put(START, 0)
    for seq in range(1, 5):
        queue.put(_line(seq), 0)
    assert _writes(queue) == [START, line_write(_line(3)), line_write(_line(4))]
    assert dict(queue.dropped_by_kind) == {"RecordEvent": 2}
