"""A fake mpv IPC server on a Unix socket, and a clock that steps instead of sleeping.

``FakeMpv`` answers commands like mpv does (``observe_property`` and ``set_property``
succeed, ``get_property`` returns ``properties[name]``) and lets a test push any byte stream
to the client: scripted events, malformed lines, then an abrupt close.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def prop(name: str, *value: Any) -> dict[str, Any]:
    """A ``property-change`` event; no value means ``data`` is absent (unavailable)."""
    message: dict[str, Any] = {"event": "property-change", "id": 0, "name": name}
    if value:
        message["data"] = value[0]
    return message


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"event": name, **fields}


class FakeMpv:
    """Listens on ``path``; serves one client connection at a time."""

    def __init__(self, path: Path, properties: dict[str, Any] | None = None) -> None:
        self.path = path
        self.properties: dict[str, Any] = {"working-directory": "/media/anime"}
        self.properties.update(properties or {})
        self.commands: list[list[Any]] = []
        self.observed: list[str] = []
        self.connected = threading.Event()
        self._observed_all = threading.Event()
        self._expect_observed = 0
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(4)
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="fake-mpv", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- test side

    def wait_observing(self, count: int, timeout_s: float = 5.0) -> None:
        """Block until the client has asked to observe ``count`` properties."""
        with self._send_lock:
            self._expect_observed = count
            if len(self.observed) >= count:
                self._observed_all.set()
        assert self._observed_all.wait(timeout_s), f"client observed only {self.observed}"

    def send(self, *messages: dict[str, Any] | bytes | str) -> None:
        """Send events (dicts as JSON lines) or raw bytes/strings exactly as given."""
        data = b""
        for message in messages:
            if isinstance(message, dict):
                data += json.dumps(message, ensure_ascii=False).encode() + b"\n"
            elif isinstance(message, str):
                data += message.encode()
            else:
                data += message
        with self._send_lock:
            assert self._conn is not None, "no client connected"
            self._conn.sendall(data)

    def drop_connection(self) -> None:
        """Close the client's connection abruptly (mpv quitting or crashing)."""
        with self._send_lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def stop(self) -> None:
        self.drop_connection()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)
        self.path.unlink(missing_ok=True)

    # ----------------------------------------------------------------- server side

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._send_lock:
                self._conn = conn
            self.connected.set()
            self._read(conn)

    def _read(self, conn: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self._answer(conn, json.loads(line))

    def _answer(self, conn: socket.socket, request: dict[str, Any]) -> None:
        command = request["command"]
        reply: dict[str, Any] = {"request_id": request.get("request_id", 0), "error": "success"}
        with self._send_lock:
            self.commands.append(command)
            if command[0] == "observe_property":
                self.observed.append(command[2])
                if self._expect_observed and len(self.observed) >= self._expect_observed:
                    self._observed_all.set()
            elif command[0] == "get_property":
                if command[1] in self.properties:
                    reply["data"] = self.properties[command[1]]
                else:
                    reply["error"] = "property unavailable"
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(reply).encode() + b"\n")


class StepClock:
    """A clock whose ``wait`` returns at once after moving time forward by the timeout.

    ``on_wait`` runs before each wait returns (e.g. to start a server on the third retry).
    """

    def __init__(self, on_wait: Callable[[int], None] | None = None) -> None:
        self._mono = 0.0
        self.waits = 0
        self._on_wait = on_wait

    def now_ms(self) -> int:
        return 1_767_225_600_000 + round(self._mono * 1000)

    def monotonic_s(self) -> float:
        return self._mono

    def wait(self, event: threading.Event, timeout_s: float | None) -> bool:
        self.waits += 1
        self._mono += timeout_s or 0.0
        if self._on_wait is not None:
            self._on_wait(self.waits)
        return event.is_set()
