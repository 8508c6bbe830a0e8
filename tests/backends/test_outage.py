"""An outage mid-session against a real server: the connection is cut by a TCP proxy the test
controls, recording goes on into the durable outbox, and once the server is reachable again
the store holds every write exactly once."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from immersion import open_tracker
from immersion.domain import EventType
from immersion.testing import ManualClock


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 that can drop every connection and refuse new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()  # refused while the "network" is down
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every live connection and refuse new ones until ``restore``."""
        self._open.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._stopped = True
        self.cut()
        self._listener.close()


@contextlib.contextmanager
def proxied(url: sa.URL) -> Iterator[tuple[CuttableProxy, sa.URL]]:
    proxy = CuttableProxy(url.host or "127.0.0.1", int(url.port or 0))
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port)
    finally:
        proxy.close()


def _lines(tracker: object, clock: ManualClock, first: int, count: int) -> None:
    for index in range(first, first + count):
        clock.advance(2_000)
        tracker.record_playback_position(index * 2.0)  # type: ignore[attr-defined]
        tracker.record_subtitle_line(f"台詞 {index}", index * 2.0, index * 2.0 + 1.5)  # type: ignore[attr-defined]
        tracker.record_lookup(index % 3 == 0)  # type: ignore[attr-defined]
        tracker.wait_until_idle(10)  # type: ignore[attr-defined]


def test_an_outage_mid_session_loses_nothing_and_stores_nothing_twice(
    server_kind: str, server_provider: str, scratch_url: sa.URL, tmp_path: Path
) -> None:
    default_port = 5432 if server_kind == "postgresql" else 3306
    url = scratch_url if scratch_url.port else scratch_url.set(port=default_port)
    clock = ManualClock()
    with proxied(url) as (proxy, through_proxy):
        config = {
            "timezone": "Asia/Tokyo",
            "storage": {
                "provider": server_provider,
                "url": through_proxy.render_as_string(hide_password=False),
                "fallback": "none",
                "outbox_path": str(tmp_path / "outbox.sqlite"),
                "connect_timeout_s": 2,
                "pool_size": 1,
            },
            # a queue far smaller than the outage: without the outbox, writes would be dropped
            "write": {"queue_cap": 100},
        }
        tracker = open_tracker(config, clock=clock)
        tracker.handle_media_change("/anime/ep01.mkv", "第1話")
        _lines(tracker, clock, 0, 30)
        assert tracker.flush(10) is True

        proxy.cut()
        _lines(tracker, clock, 30, 400)
        during = tracker.diagnostics()
        assert during.dropped == 0
        assert during.outbox_depth > 100  # more than the in-memory queue could have held

        proxy.restore()
        for _ in range(20):  # replay is retried with backoff on the injected clock
            clock.advance(5_000)
            tracker.wait_until_idle(10)
            if not tracker.diagnostics().outbox_depth:
                break
        tracker.handle_media_change(None)
        assert tracker.flush(15) is True
        after = tracker.diagnostics()
        store = tracker.store
        (summary,) = store.session_summaries()
        events = store.session_events(summary.session_uuid, limit=100_000)
        timeline = store.session_timeline(summary.session_uuid)
        tracker.close(10)

    lines = [e for e in events if e.event_type == EventType.SUBTITLE_LINE]
    assert summary.lines_seen == 430 and summary.ended_at_ms is not None
    assert [e.line_index for e in lines] == list(range(430))  # every line once, in order
    assert len({e.seq for e in events}) == len(events)
    assert len({s.seq for s in timeline}) == len(timeline)
    assert after.outbox_depth == 0
    assert after.outbox_replayed == after.outbox_spilled
    print(
        f"\n{server_kind} outage: recorded {during.enqueued} writes, outbox peak "
        f"{after.outbox_peak}, spilled {after.outbox_spilled}, replayed "
        f"{after.outbox_replayed}, stored {after.written}, dropped {after.dropped}"
    )
