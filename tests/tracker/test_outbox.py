"""The durable outbox: an unreachable networked store never costs a write."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from immersion import Tracker
from immersion.errors import StoreUnavailableError
from immersion.pipeline.outbox import Outbox
from immersion.results import StoreCapabilities
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from immersion.writes import FinalizeSession, RecordSample, Write
from immersion.writes_codec import decode_write, encode_write
from tests.contract.builders import T0, event, finalize, make_video, start
from tests.contract.builders import sample as make_sample

_NETWORKED = StoreCapabilities(
    rollups=True,
    retention=True,
    compaction=False,
    durable=True,
    concurrent_writers=True,
    networked=True,
)


class ServerStore:
    """A memory store behind a 'network' that can go down, or lose acknowledgements."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.down = False
        self.lose_next_ack = 0
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def capabilities(self) -> StoreCapabilities:
        return _NETWORKED

    def write_batch(self, writes: Sequence[Write]) -> None:
        with self._lock:
            self.calls += 1
            if self.down:
                raise StoreUnavailableError("connection refused (scripted outage)")
            self.inner.write_batch(writes)
            if self.lose_next_ack:
                self.lose_next_ack -= 1
                raise StoreUnavailableError("server closed the connection (after commit)")

    def close(self) -> None:
        """A client disconnecting does not stop the server: the data stays for the next."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return "ServerStore()"


def _tracker(store: ServerStore, clock: ManualClock, outbox: Outbox) -> Tracker:
    config = {"timezone": "UTC", "write": {"queue_cap": 100}}
    return Tracker(store, config, clock=clock, outbox=outbox)  # type: ignore[arg-type]


def _watch(tracker: Tracker, clock: ManualClock, lines: int, start: int = 0) -> None:
    for index in range(start, start + lines):
        clock.advance(2_000)
        tracker.record_playback_position(index * 2.0)
        tracker.record_subtitle_line(f"line {index}", index * 2.0, index * 2.0 + 1.5)
        tracker.record_lookup(index % 2 == 0)
        assert tracker.wait_until_idle(10)


def test_an_outage_moves_writes_to_the_outbox_and_replays_them_in_order(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    store = ServerStore()
    outbox = Outbox(tmp_path / "outbox.sqlite", cap=1_000_000, policy="drop_oldest")
    tracker = _tracker(store, clock, outbox)
    tracker.handle_media_change("/anime/ep01.mkv")
    _watch(tracker, clock, 20)
    assert tracker.flush(10) is True

    store.down = True
    _watch(tracker, clock, 300, start=20)  # far more than the in-memory queue cap of 100
    diagnostics = tracker.diagnostics()
    assert diagnostics.dropped == 0  # nothing lost to the queue cap: it went to disk
    assert diagnostics.outbox_depth > 100
    assert tracker.flush(1) is False  # not in the store yet, and flush says so at once

    store.down = False
    clock.advance(10_000)  # past the replay backoff
    assert tracker.wait_until_idle(10)
    assert tracker.flush(10) is True
    diagnostics = tracker.diagnostics()
    assert diagnostics.outbox_depth == 0
    assert diagnostics.outbox_replayed == diagnostics.outbox_spilled > 100
    tracker.close(10)

    (summary,) = store.inner.session_summaries()
    assert summary.lines_seen == 320
    events = store.inner.session_events(summary.session_uuid, limit=10_000)
    lines = [e for e in events if e.line_index is not None]
    assert [e.line_index for e in lines] == list(range(320))  # order kept, none twice
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))


def test_a_lost_acknowledgement_does_not_store_anything_twice(tmp_path: Path) -> None:
    clock = ManualClock()
    store = ServerStore()
    outbox = Outbox(tmp_path / "outbox.sqlite", cap=1_000_000, policy="drop_oldest")
    tracker = _tracker(store, clock, outbox)
    tracker.handle_media_change("/anime/ep01.mkv")
    store.lose_next_ack = 1  # the batch commits, then the worker is told it failed
    _watch(tracker, clock, 5)
    assert tracker.diagnostics().outbox_spilled > 0
    clock.advance(10_000)
    assert tracker.wait_until_idle(10)
    assert tracker.flush(10) is True
    tracker.close(10)
    (summary,) = store.inner.session_summaries()
    events = store.inner.session_events(summary.session_uuid)
    assert len([e for e in events if e.line_index is not None]) == 5
    assert len({e.seq for e in events}) == len(events)


def test_the_outbox_survives_a_restart_and_is_replayed_by_the_next_tracker(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    store = ServerStore()
    path = tmp_path / "outbox.sqlite"
    tracker = _tracker(store, clock, Outbox(path, cap=1_000_000, policy="drop_oldest"))
    tracker.handle_media_change("/anime/ep01.mkv")
    store.down = True
    _watch(tracker, clock, 10)
    assert tracker.close(5) is False  # kept on disk, not in the store
    assert Outbox(path, cap=10, policy="drop_oldest").depth > 0

    store.down = False
    second = _tracker(store, clock, Outbox(path, cap=1_000_000, policy="drop_oldest"))
    assert second.wait_until_idle(10)
    assert second.flush(10) is True
    second.close(10)
    (summary,) = store.inner.session_summaries()
    assert summary.lines_seen == 10 and summary.ended_at_ms is not None


def test_the_outbox_cap_applies_the_overflow_policy_but_keeps_boundaries(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", cap=1_000, policy="drop_oldest")
    writes: list[tuple[Write, bool]] = [(start("s1"), True)]
    writes += [(make_sample("s1", seq, T0 + seq), False) for seq in range(1, 1_500)]
    writes += [(finalize("s1", T0 + 2_000, lines_seen=3), True)]
    dropped = outbox.append(writes)
    assert outbox.depth == 1_000 and len(dropped) == 501
    kept = outbox.peek(2_000)
    assert isinstance(kept[0][1], type(writes[0][0]))  # the start was not dropped
    assert isinstance(kept[-1][1], FinalizeSession)
    assert isinstance(kept[1][1], RecordSample) and kept[1][1].sample.seq == 502
    outbox.close()


def test_the_codec_round_trips_every_kind_of_write() -> None:
    video = make_video(title="葬送のフリーレン 🎬")
    writes = (
        video,
        start("s1"),
        make_sample("s1", 3, T0 + 5, lines_seen=2),
        event("s1", 4, T0 + 6, payload_json='{"text": "語"}'),
        finalize("s1", T0 + 10, ended_media_ms=7, words_seen=4),
    )
    for write in writes:
        assert decode_write(encode_write(write)) == write
