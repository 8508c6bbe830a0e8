"""``MpvBridge``: turns what mpv reports over IPC into ``Tracker`` calls.

The rules follow what mpv really sends (observed with mpv 0.35; the scripted tests replay it):

- **Sessions.** A file's session starts when mpv has loaded it (``file-loaded``), so a file
  that fails to open records nothing; when we attach to an mpv already playing (no
  ``start-file`` seen) it starts as soon as ``path`` is known. It ends at ``end-file``,
  ``idle``, ``shutdown``, a cleared ``path``, or when the connection closes. One session per
  file of a playlist.
- **Paths.** mpv reports ``path`` as it was given, relative to mpv's working directory; the
  bridge makes local paths absolute against it, so one file always has one video key.
- **Titles.** ``media-title`` falls back to the file name *with* its extension when a file has
  no title; such a title is not passed on, so the tracker's own fallback (the name without
  extension, URLs decoded) applies. A title that arrives while the next file loads waits for
  that file's session instead of renaming the previous video.
- **Subtitle lines.** ``sub-text``, ``sub-start`` and ``sub-end`` arrive as separate changes,
  together but in any order. The cue is settled when the next other message arrives (a
  ``time-pos`` tick, an event) or the file ends; a complete cue (text with a word, end after
  start) is then recorded once. The tracker de-duplicates repeats (animated subtitles) too.
- ``null`` (unavailable, e.g. while a file loads) and values of an unexpected type are
  ignored, and the latter counted; negative ``time-pos`` values (mpv reports them around the
  start with some delays) are skipped.

Every method runs on the IPC reader thread except ``observe``/``finish``; a lock keeps them
apart. Tracker calls never block and never raise, so neither does the bridge.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..tracker import Tracker
from .ipc import MpvCommandError, MpvIpcClient

__all__ = ["OBSERVED_PROPERTIES", "BridgeStats", "MpvBridge"]

# Title and duration before path: when we attach mid-file, the session can then start with
# its real title instead of being renamed a moment later.
OBSERVED_PROPERTIES = (
    "media-title",
    "duration",
    "pause",
    "path",
    "paused-for-cache",
    "time-pos",
    "sub-text",
    "sub-start",
    "sub-end",
)
_SUBTITLE_PROPERTIES = frozenset({"sub-text", "sub-start", "sub-end"})
_SESSION_ENDING_EVENTS = frozenset({"end-file", "idle", "shutdown"})
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@dataclass(frozen=True, slots=True)
class BridgeStats:
    """``sessions``: UUIDs of the sessions started, in order; ``lines_recorded``: cues
    passed to the tracker; ``ignored_values``: property values of an unexpected type."""

    sessions: tuple[str, ...]
    lines_recorded: int
    buffer_events: int
    ignored_values: int


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _is_file_name_title(title: str, path: str) -> bool:
    """Whether ``title`` is only mpv's fallback: the path or its last segment."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    candidates = {path, name}
    if _URL.match(path):
        bare = name.partition("?")[0].partition("#")[0]
        candidates |= {bare, unquote(bare), unquote(name)}
    return title in candidates


class MpvBridge:
    """Feeds ``tracker`` from one mpv connection (see the module docstring for the rules).

    ``working_directory`` is mpv's, for relative paths; ``observe`` asks mpv for it when it
    is not given. Pass ``handle_event`` as the client's ``on_event`` and ``finish`` as its
    ``on_close``.
    """

    def __init__(self, tracker: Tracker, *, working_directory: str | None = None) -> None:
        self._tracker = tracker
        self._working_directory = working_directory
        self._lock = threading.Lock()
        self._finished = False
        # the file mpv has open, and the session recording it
        self._path: str | None = None  # as mpv reports it
        self._session_path: str | None = None  # absolute, while a session records it
        self._loading = False  # between start-file and file-loaded
        self._loading_from: str | None = None  # the path when that load started
        self._title: str | None = None
        self._title_fresh = False  # received since the last start-file
        self._duration: float | None = None
        self._buffering = False
        # the subtitle cue being reported
        self._sub_text: str | None = None
        self._sub_start: float | None = None
        self._sub_end: float | None = None
        self._cue_dirty = False
        self._last_cue: tuple[str, float, float] | None = None
        # what we did
        self._sessions: list[str] = []
        self._lines = 0
        self._buffer_events = 0
        self._ignored = 0
        self._property_handlers: dict[str, Callable[[object], None]] = {
            "path": self._path_changed,
            "media-title": self._title_changed,
            "duration": self._duration_changed,
            "time-pos": self._position_changed,
            "pause": self._pause_changed,
            "paused-for-cache": self._buffering_changed,
        }

    def observe(self, client: MpvIpcClient, timeout_s: float = 5.0) -> None:
        """Ask ``client``'s mpv for what the bridge needs; the current values arrive at once
        as events. Raises ``MpvCommandError`` when mpv refuses or goes away."""
        if self._working_directory is None:
            try:
                directory = client.get_property("working-directory", timeout_s)
            except MpvCommandError:
                directory = None  # an old mpv: relative paths resolve against ours
            with self._lock:
                if isinstance(directory, str) and directory:
                    self._working_directory = directory
        for name in OBSERVED_PROPERTIES:
            client.observe_property(name, timeout_s)

    def stats(self) -> BridgeStats:
        with self._lock:
            return BridgeStats(
                sessions=tuple(self._sessions),
                lines_recorded=self._lines,
                buffer_events=self._buffer_events,
                ignored_values=self._ignored,
            )

    # ------------------------------------------------------------------ entry points

    def handle_event(self, message: Mapping[str, Any]) -> None:
        """One message from mpv (the IPC client's ``on_event``)."""
        with self._lock:
            if self._finished:
                return
            event = message.get("event")
            if event == "property-change":
                name = message.get("name")
                value = message.get("data")  # absent: the property is unavailable
                if name in _SUBTITLE_PROPERTIES:
                    self._subtitle_changed(str(name), value)
                    return
                self._settle_cue()
                handler = self._property_handlers.get(name) if isinstance(name, str) else None
                if handler is not None:
                    handler(value)
                return
            self._settle_cue()
            if event == "start-file":
                self._end_session()
                self._loading = True
                self._loading_from = self._path
                self._title_fresh = False
            elif event == "file-loaded":
                self._loading = False
                self._start_session()
            elif event in _SESSION_ENDING_EVENTS:
                self._loading = False
                self._end_session()

    def finish(self) -> None:
        """The connection ended: record the last cue and end the session. Idempotent."""
        with self._lock:
            if not self._finished:
                self._settle_cue()
                self._end_session()
                self._finished = True

    # ------------------------------------------------------------------ sessions

    def _start_session(self) -> None:
        if self._path is None:
            return
        path = self._absolute(self._path)
        if path == self._session_path:
            return  # e.g. file-loaded for the file we attached to mid-load
        self._end_session()
        title = self._title
        if title is not None and (
            _is_file_name_title(title, self._path)
            or not (self._title_fresh or self._path == self._loading_from)
        ):
            title = None  # the tracker's fallback, or the previous file's title
        self._tracker.handle_media_change(path, title)
        self._session_path = path
        self._last_cue = None
        session = self._tracker.session
        if session is not None and session.session_uuid not in self._sessions:
            self._sessions.append(session.session_uuid)
        if self._duration:
            self._tracker.record_media_duration(self._duration)

    def _end_session(self) -> None:
        if self._session_path is not None:
            self._session_path = None
            self._tracker.handle_media_change(None)

    def _absolute(self, path: str) -> str:
        if _URL.match(path) or os.path.isabs(path) or self._working_directory is None:
            return path
        return os.path.join(self._working_directory, path)

    # ------------------------------------------------------------------ properties

    def _unexpected(self, value: object) -> None:
        if value is not None:
            self._ignored += 1

    def _path_changed(self, value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            self._unexpected(None if isinstance(value, str) else value)
            self._path = None
            self._end_session()
            return
        self._path = value
        if not self._loading:  # attached mid-file, or an mpv that sent no start-file
            self._start_session()

    def _title_changed(self, value: object) -> None:
        if not isinstance(value, str):
            self._unexpected(value)
            return
        self._title = value
        self._title_fresh = True
        if (
            self._session_path is not None
            and self._path is not None
            and not _is_file_name_title(value, self._path)
        ):
            self._tracker.handle_media_title_update(value)

    def _duration_changed(self, value: object) -> None:
        duration = _number(value)
        if duration is None:
            self._unexpected(value)
        self._duration = duration if duration is not None and duration > 0 else None
        if self._duration is not None and self._session_path is not None:
            self._tracker.record_media_duration(self._duration)

    def _position_changed(self, value: object) -> None:
        position = _number(value)
        if position is None:
            self._unexpected(value)
        elif position >= 0 and self._session_path is not None:
            self._tracker.record_playback_position(position)

    def _pause_changed(self, value: object) -> None:
        if isinstance(value, bool):
            self._tracker.record_pause_state(value)
        else:
            self._unexpected(value)

    def _buffering_changed(self, value: object) -> None:
        if not isinstance(value, bool):
            self._unexpected(value)
            return
        if value and not self._buffering and self._session_path is not None:
            self._buffer_events += 1
            self._tracker.record_media_buffer_event()
        self._buffering = value

    # ------------------------------------------------------------------ subtitles

    def _subtitle_changed(self, name: str, value: object) -> None:
        if name == "sub-text":
            if value is not None and not isinstance(value, str):
                self._ignored += 1
            self._sub_text = value if isinstance(value, str) else None
        else:
            number = _number(value)
            if number is None:
                self._unexpected(value)
            if name == "sub-start":
                self._sub_start = number
            else:
                self._sub_end = number
        self._cue_dirty = True

    def _settle_cue(self) -> None:
        """Record the cue now that its three properties have arrived (see the docstring)."""
        if not self._cue_dirty:
            return
        self._cue_dirty = False
        text, start, end = self._sub_text, self._sub_start, self._sub_end
        if self._session_path is None or text is None or start is None or end is None:
            return
        if not text.strip() or end <= start or start < 0:
            return
        cue = (text, start, end)
        if cue == self._last_cue:
            return
        self._last_cue = cue
        self._lines += 1
        self._tracker.record_subtitle_line(text, start, end)
