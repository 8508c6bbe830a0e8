"""Ingest through the real tracker pipeline, beside a raw producer/writer baseline.

Both sides write the same number of subtitle-line events into the loaded database, in
batches of 25, one transaction per batch, from the same process:

- **tracker**: ``Tracker.record_subtitle_line`` on the calling thread, with the default
  pipeline (25 writes or 500 ms) except a queue large enough that nothing is dropped; timed
  from the first call until ``flush`` returns (everything committed). Maintenance is off.
- **baseline**: a producer thread hands plain tuples (the same event row, payload already
  encoded) through a ``queue.SimpleQueue`` to a writer thread that takes 25 at a time and
  calls the raw driver's ``executemany`` (``sqlite3``, psycopg, PyMySQL) with a plain
  ``INSERT INTO events``, then commits. Both share the interpreter lock the same way, so the
  ratio tracker/baseline is what our pipeline costs.

The two sides run in turns, ``ROUNDS`` times each (tracker, baseline, tracker, ...), each turn
after a full garbage collection so neither inherits the other's garbage; the result is the
median turn of each side and the ratio of those medians (every turn is in the JSON). One turn
each was too noisy on a 2-core machine: the ratio moved by +-0.07 between runs.

The memory store has no driver: only the tracker side is measured there.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
import uuid
from contextlib import closing
from typing import Any
from zoneinfo import ZoneInfo

from immersion.domain import SourceType, Video
from immersion.localtime import local_time
from immersion.payload import encode_line_payload
from immersion.store import ImmersionTrackingStore
from immersion.tracker import Tracker
from immersion.writes import StartSession, UpsertVideo

from .backends import Backend
from .generator import PAYLOAD_CAP, ZONE, subtitle_lines

__all__ = ["BATCH_SIZE", "measure_ingest"]

BATCH_SIZE = 25  # the pipeline's default write.batch_size
ROUNDS = 3
_EVENT_COLUMNS = (
    "session_id, seq, ts_ms, event_type, line_index, segment_start_ms, segment_end_ms, "
    "words_delta, cards_delta, payload_json"
)


def _tracker_side(backend: Backend, lines: list[str]) -> dict[str, Any]:
    config = {
        "timezone": ZONE,
        "write": {"batch_size": BATCH_SIZE, "queue_cap": max(1_000, min(100_000, len(lines)))},
        "maintenance": {"enabled": False},
    }
    tracker = Tracker(backend.open_store(), config)
    try:
        tracker.handle_media_change("/home/learner/ingest/ingest-benchmark.mkv", "ingest")
        tracker.flush(30)
        before = tracker.diagnostics().written
        started = time.perf_counter()
        for index, text in enumerate(lines):
            tracker.record_subtitle_line(text, index * 3.0, index * 3.0 + 2.0)
        flushed = tracker.flush(600)
        seconds = time.perf_counter() - started
        diagnostics = tracker.diagnostics()
    finally:
        tracker.close(60)
    written = diagnostics.written - before
    return {
        "writes": written,
        "seconds": round(seconds, 3),
        "writes_per_s": round(written / seconds),
        "flushed": flushed,
        "dropped": diagnostics.dropped,
        "batches": diagnostics.batches_written,
    }


def _baseline_session(store: ImmersionTrackingStore, backend: Backend) -> int:
    """A session for the baseline's events; its integer id."""
    now_ms = time.time_ns() // 1_000_000
    key = "local:/home/learner/ingest/baseline.mkv"
    session_uuid = str(uuid.uuid4())
    when = local_time(now_ms, ZoneInfo(ZONE))
    video = Video(key, "baseline", SourceType.LOCAL, created_at_ms=now_ms, updated_at_ms=now_ms)
    store.write_batch(
        [
            UpsertVideo(video),
            StartSession(session_uuid, key, now_ms, when.day, when.month, when.hour),
        ]
    )
    with closing(backend.raw_connection()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT id FROM sessions WHERE session_uuid = {backend.paramstyle}", (session_uuid,)
        )
        session_id = int(cursor.fetchone()[0])
        connection.rollback()
    return session_id


def _baseline_side(backend: Backend, session_id: int, lines: list[str]) -> dict[str, Any]:
    marks = ", ".join([backend.paramstyle] * 10)
    insert = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({marks})"
    begin = backend.begin_sql()
    handoff: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    failure: list[BaseException] = []
    written = [0]
    connection = backend.raw_connection()

    def produce() -> None:
        base_ms = time.time_ns() // 1_000_000
        for index, text in enumerate(lines):
            words = len(text.split())
            payload = encode_line_payload(text, words, PAYLOAD_CAP)
            start = index * 3_000
            row = (session_id, index + 1, base_ms + start, 1, index, start, start + 2_000)
            handoff.put((*row, words, 0, payload))
        handoff.put(None)

    def write() -> None:
        try:
            cursor = connection.cursor()
            done = False
            while not done:
                batch: list[tuple[Any, ...]] = []
                while len(batch) < BATCH_SIZE:
                    item = handoff.get()
                    if item is None:
                        done = True
                        break
                    batch.append(item)
                if batch:
                    if begin is not None:
                        cursor.execute(begin)
                    cursor.executemany(insert, batch)
                    if begin is not None:
                        cursor.execute("COMMIT")
                    else:
                        connection.commit()
                    written[0] += len(batch)
        except BaseException as exc:  # reported by the caller
            failure.append(exc)

    threads = [threading.Thread(target=produce), threading.Thread(target=write)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    connection.close()
    if failure:
        raise failure[0]
    return {
        "writes": written[0],
        "seconds": round(seconds, 3),
        "writes_per_s": round(written[0] / seconds),
    }


def _median_turn(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The turn with the median rate (the middle one of an odd number)."""
    ranked = sorted(turns, key=lambda turn: turn["writes_per_s"])
    return ranked[len(ranked) // 2]


def measure_ingest(
    backend: Backend, loaded_store: ImmersionTrackingStore, writes: int, rounds: int = ROUNDS
) -> dict[str, Any]:
    """Tracker and baseline ingest of ``writes`` events each into ``backend``'s database,
    ``rounds`` turns each (see the module docstring)."""
    lines = subtitle_lines(writes)
    raw = backend.kind != "memory"
    tracker_turns: list[dict[str, Any]] = []
    baseline_turns: list[dict[str, Any]] = []
    for _ in range(rounds):
        gc.collect()
        tracker_turns.append(_tracker_side(backend, lines))  # a new session each turn
        if raw:
            session_id = _baseline_session(loaded_store, backend)
            gc.collect()
            baseline_turns.append(_baseline_side(backend, session_id, lines))
    tracker = _median_turn(tracker_turns)
    result: dict[str, Any] = {"batch_size": BATCH_SIZE, "rounds": rounds, "tracker": tracker}
    result["tracker_turns"] = [turn["writes_per_s"] for turn in tracker_turns]
    if not raw:
        result["baseline"] = None
        result["ratio"] = None
        return result
    baseline = _median_turn(baseline_turns)
    result["baseline"] = baseline
    result["baseline_turns"] = [turn["writes_per_s"] for turn in baseline_turns]
    result["ratio"] = round(tracker["writes_per_s"] / baseline["writes_per_s"], 3)
    result["turn_ratios"] = [
        round(t["writes_per_s"] / b["writes_per_s"], 3)
        for t, b in zip(tracker_turns, baseline_turns, strict=True)
    ]
    return result
