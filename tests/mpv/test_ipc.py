"""The IPC client against scripted byte streams: connecting, replies, bad lines, closing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from immersion.errors import ImmersionError
from immersion.mpv import MpvCommandError, MpvConnectError, MpvIpcClient, connect
from tests.mpv.fake_mpv import FakeMpv, StepClock, prop


class Events:
    """Collects events; ``closed`` counts ``on_close`` calls."""

    def __init__(self) -> None:
        self.items: list[Mapping[str, Any]] = []
        self.closed = 0

    def __call__(self, message: Mapping[str, Any]) -> None:
        self.items.append(message)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield ours, theirs
    theirs.close()
    ours.close()


def _sync(client: MpvIpcClient, peer: socket.socket) -> None:
    """Round-trip one request, so every line sent before it has been handled."""
    done = threading.Event()
    client.command_async("client_name", on_reply=lambda data, error: done.set())
    request = json.loads(peer.recv(65536).split(b"\n")[0])
    peer.sendall(json.dumps({"request_id": request["request_id"], "error": "success"}).encode())
    peer.sendall(b"\n")
    assert done.wait(5)


def test_connect_waits_for_a_socket_that_appears_later(socket_dir: Path) -> None:
    servers: list[FakeMpv] = []
    path = socket_dir / "late.sock"

    def appear(waits: int) -> None:
        if waits == 3:  # mpv creates its socket a moment after it starts
            servers.append(FakeMpv(path))

    clock = StepClock(appear)
    try:
        client = connect(path, on_event=Events(), timeout_s=5, retry_interval_s=0.1, clock=clock)
        with client:
            assert client.get_property("working-directory") == "/media/anime"
        assert clock.waits == 3
    finally:
        for server in servers:
            server.stop()


def test_connect_gives_up_after_its_timeout_with_a_clear_error(socket_dir: Path) -> None:
    clock = StepClock()
    path = socket_dir / "nobody.sock"
    with pytest.raises(MpvConnectError) as raised:
        connect(path, on_event=Events(), timeout_s=2, retry_interval_s=0.25, clock=clock)
    assert clock.monotonic_s() == pytest.approx(2.0)
    assert clock.waits == 8
    message = str(raised.value)
    assert "within 2 s" in message and f"--input-ipc-server={path}" in message
    assert isinstance(raised.value, ImmersionError)  # the CLI prints it as one line


def test_connect_stops_waiting_when_mpv_is_gone(socket_dir: Path) -> None:
    with pytest.raises(MpvConnectError, match="mpv exited before"):
        connect(socket_dir / "x.sock", on_event=Events(), alive=lambda: False, clock=StepClock())


def test_connect_does_not_retry_what_waiting_cannot_fix(socket_dir: Path) -> None:
    clock = StepClock()
    with pytest.raises(MpvConnectError, match="cannot connect"):
        connect("/" + "x" * 200, on_event=Events(), clock=clock)  # too long for a socket
    assert clock.waits == 0


def test_replies_events_and_malformed_lines(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    events = Events()
    client = MpvIpcClient(ours, on_event=events, on_close=events.close)
    theirs.sendall(
        b'{"event":"property-change","id":1,"name":"time-pos","data":1.5}\n'
        b"{not json\n"
        b"[1, 2, 3]\n"
        b'{"event": 5}\n'
        b"\n   \n"  # blank lines are not messages, nor errors
        + b"["
        * 100_000  # deep nesting: a RecursionError in json, not a crash
        + b"\n"
        b'{"request_id": 999, "error": "success"}\n'  # nobody asked: unexpected
        b'{"event":"property-change","name":"sub-text","data":"caf\xc3\xa9 \xff ok"}\n'
        b'{"event":"end-file","re'  # split mid-line across writes
    )
    theirs.sendall(b'ason":"eof"}\n')
    _sync(client, theirs)
    assert [e["event"] for e in events.items] == ["property-change", "property-change", "end-file"]
    assert events.items[1]["data"] == "café \ufffd ok"  # invalid UTF-8 replaced, line kept
    stats = client.stats()
    assert (stats.events, stats.malformed_lines, stats.unexpected_messages) == (3, 4, 1)
    theirs.sendall(b'{"event":"idle"}\n{"event":"unfinis')
    theirs.shutdown(socket.SHUT_RDWR)
    assert client.wait_closed(5)
    assert events.items[-1] == {"event": "idle"}
    assert client.stats().malformed_lines == 5  # the unfinished last line
    assert events.closed == 1


def test_over_long_lines_are_skipped(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    events = Events()
    client = MpvIpcClient(ours, on_event=events, max_line_bytes=1_000)
    big = json.dumps(prop("sub-text", "x" * 5_000)).encode()
    theirs.sendall(big[:3_000])
    theirs.sendall(big[3_000:] + b"\n" + json.dumps(prop("pause", True)).encode() + b"\n")
    theirs.sendall(json.dumps(prop("sub-text", "y" * 1_500)).encode() + b"\n")  # one chunk
    _sync(client, theirs)
    assert [e["name"] for e in events.items] == ["pause"]
    assert client.stats().malformed_lines == 2
    client.close()


def test_a_failing_event_handler_is_counted_and_reading_goes_on(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    seen: list[str] = []

    def handler(message: Mapping[str, Any]) -> None:
        seen.append(str(message["event"]))
        if message["event"] == "boom":
            raise RuntimeError("a bug in the handler")

    def on_close() -> None:
        raise RuntimeError("and one in on_close")

    client = MpvIpcClient(ours, on_event=handler, on_close=on_close)
    theirs.sendall(b'{"event":"boom"}\n{"event":"after"}\n')
    _sync(client, theirs)
    assert seen == ["boom", "after"]
    theirs.close()
    assert client.wait_closed(5)
    assert client.stats().callback_errors == 2


def test_commands_fail_cleanly(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    client = MpvIpcClient(ours, on_event=Events())
    answers: list[tuple[Any, str | None]] = []
    assert client.command_async("get_property", "nothing", on_reply=lambda *a: answers.append(a))

    def refuse_then_vanish() -> None:
        requests = b""
        while requests.count(b"\n") < 2:
            requests += theirs.recv(65536)
        second = json.loads(requests.splitlines()[1])
        error = {"request_id": second["request_id"], "error": "property not found"}
        theirs.sendall(json.dumps(error).encode() + b"\n")
        theirs.close()  # the first request never gets an answer

    peer = threading.Thread(target=refuse_then_vanish)
    peer.start()
    with pytest.raises(MpvCommandError, match="refused 'get_property': property not found"):
        client.get_property("no-such-property")
    peer.join(5)
    assert client.wait_closed(5)
    assert answers == [(None, "the connection to mpv closed")]
    with pytest.raises(MpvCommandError, match="closed"):
        client.command("get_property", "pause")
    assert not client.command_async("get_property", "pause")  # never raises


def test_a_command_that_gets_no_answer_times_out(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _theirs = pair
    clock = StepClock()
    client = MpvIpcClient(ours, on_event=Events(), clock=clock)
    with pytest.raises(MpvCommandError, match="did not answer 'get_property' within 3 s"):
        client.get_property("pause", timeout_s=3)
    client.close()
    assert client.closed


def test_command_refuses_to_deadlock_on_the_reader_thread(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    problems: list[str] = []
    holder: list[MpvIpcClient] = []

    def handler(message: Mapping[str, Any]) -> None:
        try:
            holder[0].command("get_property", "pause")
        except MpvCommandError as exc:
            problems.append(str(exc))

    client = MpvIpcClient(ours, on_event=handler)
    holder.append(client)
    theirs.sendall(b'{"event":"idle"}\n')
    _sync(client, theirs)
    assert problems == ["command() would deadlock on the reader thread"]
    client.close()
