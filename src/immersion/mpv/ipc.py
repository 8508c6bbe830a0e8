"""``MpvIpcClient``: mpv's JSON IPC over its ``--input-ipc-server`` Unix socket.

The protocol (mpv manual, "JSON IPC") is one JSON object per line in both directions. We send
``{"command": [...], "request_id": N}``; mpv answers ``{"request_id": N, "error": "success",
"data": ...}`` and, unprompted, sends events such as ``{"event": "property-change", "id": 1,
"name": "time-pos", "data": 12.5}`` (``data`` is absent while a property is unavailable).

One daemon reader thread per client parses the lines and calls ``on_event`` for every event
and the callback of every asynchronous reply. Nothing raised on that thread escapes it: bad
lines and failing callbacks are logged (collapsed) and counted in ``stats()``. When mpv quits
the socket closes, pending requests fail and ``on_close`` runs once.

``connect`` waits for mpv: a socket that is not there yet (or refuses) is retried until a
deadline, then a ``MpvConnectError`` says what to do. A closed connection is not re-opened:
mpv removes its socket when it quits, so the end of the connection is the end of the viewing.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..clock import Clock, SystemClock
from ..diagnostics import RepeatCollapser
from ..errors import ImmersionError

__all__ = [
    "EventHandler",
    "IpcStats",
    "MpvCommandError",
    "MpvConnectError",
    "MpvIpcClient",
    "MpvIpcError",
    "ReplyHandler",
    "connect",
]

log = logging.getLogger("immersion.mpv")

EventHandler = Callable[[Mapping[str, Any]], None]
# (data, error): error is None on success, else mpv's error string or why no reply came.
ReplyHandler = Callable[[Any, "str | None"], None]

MAX_LINE_BYTES = 1 << 20  # far above any message for the properties we use
_RECV_BYTES = 65_536
_COMMAND_TIMEOUT_S = 5.0


class MpvIpcError(ImmersionError):
    """mpv's IPC socket could not be used."""


class MpvConnectError(MpvIpcError):
    """No mpv answered at the socket within the allowed time (or it cannot be a socket)."""


class MpvCommandError(MpvIpcError):
    """A command failed: mpv refused it, did not answer in time, or the connection closed."""


@dataclass(frozen=True, slots=True)
class IpcStats:
    """What the reader thread has seen since the connection opened.

    ``malformed_lines``: lines skipped as not being a JSON object (or over the size cap);
    ``unexpected_messages``: valid objects that are neither an event nor an awaited reply;
    ``callback_errors``: exceptions raised by ``on_event``/reply callbacks/``on_close``
    (caught, logged); ``read_errors``: the connection failed other than by a clean close.
    """

    events: int = 0
    replies: int = 0
    malformed_lines: int = 0
    unexpected_messages: int = 0
    callback_errors: int = 0
    read_errors: int = 0


class _Pending:
    """One request waiting for its reply: a waiter's event, or an asynchronous callback."""

    __slots__ = ("callback", "data", "done", "error")

    def __init__(self, callback: ReplyHandler | None) -> None:
        self.callback = callback
        self.done = threading.Event()
        self.data: Any = None
        self.error: str | None = None


def connect(
    socket_path: str | Path,
    *,
    on_event: EventHandler,
    on_close: Callable[[], None] | None = None,
    timeout_s: float = 10.0,
    retry_interval_s: float = 0.05,
    alive: Callable[[], bool] | None = None,
    clock: Clock | None = None,
) -> MpvIpcClient:
    """Connect to the mpv listening at ``socket_path``, retrying for up to ``timeout_s``.

    ``alive`` (optional) says whether the mpv we are waiting for still runs; when it stops
    returning true we give up at once instead of waiting out the deadline. ``clock`` times
    the retries only (default: the system clock).
    """
    clock = clock or SystemClock()
    path = str(socket_path)
    deadline = clock.monotonic_s() + max(0.0, timeout_s)
    never = threading.Event()  # clock.wait needs an event; nothing sets this one
    problem = "no socket there yet"
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            # mpv creates the socket a moment after it starts: worth waiting for.
            sock.close()
            problem = "no socket there yet" if isinstance(exc, FileNotFoundError) else "refused"
        except OSError as exc:  # permission denied, path too long, ...: waiting cannot help
            sock.close()
            why = exc.strerror or str(exc)
            raise MpvConnectError(f"cannot connect to mpv at {path}: {why}") from exc
        else:
            # Replies are awaited in real time: they come from another process.
            return MpvIpcClient(sock, on_event=on_event, on_close=on_close)
        if alive is not None and not alive():
            raise MpvConnectError(f"mpv exited before it opened its IPC socket {path}")
        remaining = deadline - clock.monotonic_s()
        if remaining <= 0:
            raise MpvConnectError(
                f"no mpv answered at {path} within {timeout_s:g} s ({problem}); "
                f"start mpv with --input-ipc-server={path}"
            )
        clock.wait(never, min(retry_interval_s, remaining))


class MpvIpcClient:
    """A connected mpv IPC client; use ``connect`` to make one.

    ``on_event`` is called on the reader thread for every event, in mpv's order; it must not
    block (it may send with ``command_async``, never wait with ``command``). ``on_close``
    runs once on the reader thread when the connection ends, for whatever reason.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        on_event: EventHandler,
        on_close: Callable[[], None] | None = None,
        clock: Clock | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self._sock = sock
        self._on_event = on_event
        self._on_close = on_close
        self._clock: Clock = clock or SystemClock()
        self._max_line_bytes = max_line_bytes
        self._log = RepeatCollapser(log)
        self._lock = threading.Lock()  # guards counters, pending and the closed flag
        self._send_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._observe_ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._counts: dict[str, int] = {f.name: 0 for f in fields(IpcStats)}
        self._closing = False
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name="immersion-mpv-ipc")
        self._reader.daemon = True  # never keeps the learner's shell waiting at exit
        self._reader.start()

    # ------------------------------------------------------------------ commands

    def command(self, *args: object, timeout_s: float = _COMMAND_TIMEOUT_S) -> Any:
        """Send a command and wait for its reply; returns the reply's ``data``.

        Raises ``MpvCommandError`` when mpv answers with an error, does not answer within
        ``timeout_s``, or the connection is closed. Not callable from the reader thread
        (the reply could never be read): use ``command_async`` there.
        """
        if threading.current_thread() is self._reader:
            raise MpvCommandError("command() would deadlock on the reader thread")
        pending = _Pending(None)
        name = args[0] if args else "?"
        self._send(list(args), pending)
        deadline = self._clock.monotonic_s() + timeout_s
        while not pending.done.is_set():
            remaining = deadline - self._clock.monotonic_s()
            if remaining <= 0:
                self._forget(pending)
                raise MpvCommandError(f"mpv did not answer {name!r} within {timeout_s:g} s")
            self._clock.wait(pending.done, remaining)
        if pending.error is not None:
            raise MpvCommandError(f"mpv refused {name!r}: {pending.error}")
        return pending.data

    def command_async(self, *args: object, on_reply: ReplyHandler | None = None) -> bool:
        """Send a command without waiting; ``on_reply(data, error)`` runs on the reader
        thread when the reply (or the end of the connection) comes. Never raises: returns
        whether the command could be sent."""
        pending = _Pending(on_reply)
        try:
            self._send(list(args), pending)
        except MpvIpcError as exc:
            self._log.warning(f"mpv IPC: could not send {args[:1]!r}: {exc}")
            return False
        return True

    def observe_property(self, name: str, timeout_s: float = _COMMAND_TIMEOUT_S) -> int:
        """Ask mpv to report every change of ``name`` (its current value comes at once);
        returns the observation id found in the ``property-change`` events."""
        observe_id = next(self._observe_ids)
        self.command("observe_property", observe_id, name, timeout_s=timeout_s)
        return observe_id

    def get_property(self, name: str, timeout_s: float = _COMMAND_TIMEOUT_S) -> Any:
        return self.command("get_property", name, timeout_s=timeout_s)

    def set_property(self, name: str, value: object, timeout_s: float = _COMMAND_TIMEOUT_S) -> None:
        self.command("set_property", name, value, timeout_s=timeout_s)

    # ------------------------------------------------------------------ lifecycle

    @property
    def closed(self) -> bool:
        """The connection has ended (mpv quit, or ``close`` was called)."""
        return self._closed.is_set()

    def wait_closed(self, timeout_s: float | None = None) -> bool:
        """Block until the connection ends or ``timeout_s`` (real time) passes."""
        return self._closed.wait(timeout_s)

    def close(self, timeout_s: float = 2.0) -> None:
        """Close the connection and wait (up to ``timeout_s``) for the reader and
        ``on_close`` to finish."""
        with self._lock:
            self._closing = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the reader out of recv()
        if threading.current_thread() is not self._reader:  # (from a callback: cannot join)
            self._reader.join(timeout_s)  # the reader closes the socket on its way out

    def stats(self) -> IpcStats:
        with self._lock:
            return IpcStats(**self._counts)

    def __enter__(self) -> MpvIpcClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _send(self, command: list[object], pending: _Pending) -> None:
        with self._lock:
            if self._closed.is_set() or self._closing:
                raise MpvCommandError("the connection to mpv is closed")
            request_id = next(self._request_ids)
            self._pending[request_id] = pending
        line = json.dumps({"command": command, "request_id": request_id}, ensure_ascii=False)
        try:
            with self._send_lock:
                self._sock.sendall(line.encode("utf-8", "surrogatepass") + b"\n")
        except (OSError, UnicodeError) as exc:
            with self._lock:
                self._pending.pop(request_id, None)
            raise MpvCommandError(f"could not send to mpv: {exc}") from exc

    def _forget(self, pending: _Pending) -> None:
        with self._lock:
            for request_id, candidate in list(self._pending.items()):
                if candidate is pending:
                    del self._pending[request_id]

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _read_loop(self) -> None:
        try:
            self._read_lines()
        except Exception as exc:  # a bug of ours: the thread must still end cleanly
            self._count("read_errors")
            self._log.error(f"mpv IPC reader failed: {type(exc).__name__}: {exc}")
        finally:
            self._finish()
            # Closed here, after the last recv(), never under it (its fd could be reused);
            # under the send lock, so no send is half-way through.
            with self._send_lock, contextlib.suppress(OSError):
                self._sock.close()

    def _read_lines(self) -> None:
        partial = bytearray()
        skipping = False  # inside an over-long line: drop bytes until its newline
        while True:
            try:
                chunk = self._sock.recv(_RECV_BYTES)
            except OSError as exc:
                if not self._closing:
                    self._count("read_errors")
                    self._log.warning(f"mpv IPC connection lost: {exc}")
                return
            if not chunk:  # mpv quit (or we closed): the normal end
                if partial.strip():
                    self._malformed("an unfinished last line")
                return
            lines = chunk.split(b"\n")
            for line in lines[:-1]:
                if skipping:
                    skipping = False
                    continue
                if partial:
                    line = bytes(partial) + line
                    partial.clear()
                self._handle_line(line)
            if not skipping:
                partial += lines[-1]
                if len(partial) > self._max_line_bytes:
                    partial.clear()
                    skipping = True
                    self._malformed("a line over the size cap")

    def _handle_line(self, raw: bytes) -> None:
        if len(raw) > self._max_line_bytes:
            return self._malformed("a line over the size cap")
        # mpv passes invalid UTF-8 (e.g. in subtitles) through unchanged: keep the rest.
        text = raw.decode("utf-8", "replace").strip()
        if not text:
            return None
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            return self._malformed("a line that is not JSON")
        if not isinstance(message, dict):
            return self._malformed("a JSON value that is not an object")
        if "event" in message:
            if not isinstance(message["event"], str):
                return self._malformed("an event without a name")
            self._count("events")
            self._call("on_event", self._on_event, message)
            return None
        request_id = message.get("request_id")
        with self._lock:
            pending = self._pending.pop(request_id, None) if type(request_id) is int else None
            self._counts["replies" if pending is not None else "unexpected_messages"] += 1
        if pending is not None:
            error = message.get("error")
            self._resolve(pending, message.get("data"), None if error == "success" else str(error))
        return None

    def _resolve(self, pending: _Pending, data: Any, error: str | None) -> None:
        pending.data, pending.error = data, error
        pending.done.set()
        if pending.callback is not None:
            self._call("reply callback", pending.callback, data, error)

    def _call(self, what: str, function: Callable[..., None], *args: Any) -> None:
        try:
            function(*args)
        except Exception as exc:  # the caller's bug must not end the connection
            self._count("callback_errors")
            self._log.error(f"mpv IPC {what} failed: {type(exc).__name__}: {exc}")

    def _malformed(self, what: str) -> None:
        self._count("malformed_lines")
        self._log.warning(f"mpv IPC: skipped {what}")

    def _finish(self) -> None:
        with self._lock:
            self._closing = True
            pending = list(self._pending.values())
            self._pending.clear()
        for waiting in pending:
            self._resolve(waiting, None, "the connection to mpv closed")
        if self._on_close is not None:
            self._call("on_close", self._on_close)
        self._log.flush()
        self._closed.set()
