"""``Tracker``: the public recording API, and ``open_tracker``, its composition root.

The player (or the app embedding us) reports what happens; the tracker turns it into
sessions, counters, samples and events (domain reference §3, with the mistakes of §6 fixed)
and hands the resulting writes to the ``WritePipeline``. Every ``record_*``/``handle_*`` call
only touches memory under a short lock: no I/O, no exception ever reaches the caller (invalid
arguments are counted as ``bad_input`` and logged), and each is a no-op without an active
session.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import itertools
import logging
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Concatenate, ParamSpec

from .clock import Clock, SystemClock
from .config import ConfigSource, TrackerConfig, load_config
from .diagnostics import Diagnostics, RepeatCollapser, config_secrets
from .domain import EventType
from .keys import identify_video
from .live_session import ActiveSession, LiveSession, SessionWriter
from .maintenance import MaintenanceSchedule
from .payload import MAX_TEXT_CHARS, clean_line, sanitize_text
from .pipeline import DeadLetter, WritePipeline
from .pipeline.outbox import Outbox
from .results import MaintenanceReport
from .store import ImmersionTrackingStore

__all__ = ["ActiveSession", "Tracker"]

log = logging.getLogger("immersion")

GAP_GUARD_MS = 60_000  # a tick interval this long is a suspend or a stall: not watched time
SEEK_THRESHOLD_MS = 1_000  # a media jump this large between ticks is a seek
WATCHED_FRACTION = 0.85  # a video is watched once playback reaches 85% of its duration
MAX_TITLE_CHARS = 1_024
# Media times beyond ~31 years are nonsense and would overflow the stored 64-bit integers.
_MAX_SECONDS = 1e9
_EXIT_TIMEOUT_S = 5.0
_MAINTENANCE_TIMEOUT_S = 600.0  # a pass on a large database may take a while


_P = ParamSpec("_P")


def _guarded(
    method: Callable[Concatenate[Tracker, _P], None],
) -> Callable[Concatenate[Tracker, _P], None]:
    """Make a recording method never raise: a failure of ours becomes a diagnostic."""

    @functools.wraps(method)
    def guarded(self: Tracker, /, *args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception as exc:
            self._internal_error(method.__name__, exc)

    return guarded


# Not seconds, although float() would take them.
_NOT_SECONDS = (bool, str, bytes)


def _seconds_to_ms(value: object) -> int | None:
    """Seconds as integer ms, or ``None`` for anything but a finite number in range."""
    if type(value) is float:  # what players send: no conversion to try
        seconds = value
    elif isinstance(value, _NOT_SECONDS):
        return None
    else:
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return None
    # NaN fails both comparisons; infinities the second.
    if not 0.0 <= seconds <= _MAX_SECONDS:
        return None
    return round(seconds * 1000)


def _clean_title(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    title = sanitize_text(value[: MAX_TITLE_CHARS * 2]).strip()[:MAX_TITLE_CHARS]
    return title or None


class Tracker:
    """Records immersion into ``store`` through a background write pipeline.

    ``store`` must have its schema ready (``open_tracker`` does that); the tracker owns it
    from now on and closes it on ``close``. ``clock`` drives every time-based rule (default:
    the system clock); ``new_session_uuid`` makes session identifiers (default: UUID4).
    Reads go straight to ``tracker.store``; they may block and are not for the hot path.
    """

    def __init__(
        self,
        store: ImmersionTrackingStore,
        config: ConfigSource = None,
        *,
        clock: Clock | None = None,
        new_session_uuid: Callable[[], str] | None = None,
        outbox: Outbox | None = None,
        fallback_reason: str | None = None,
    ) -> None:
        self._config: TrackerConfig = load_config(config)
        self._clock: Clock = clock or SystemClock()
        self._store = store
        write = self._config.write
        self._log = RepeatCollapser(log)  # real time: log flooding is a real-time matter
        self._maintenance = MaintenanceSchedule(store, self._config, self._clock)
        self._pipeline = WritePipeline(
            store,
            self._clock,
            batch_size=write.batch_size,
            flush_interval_ms=write.flush_interval_ms,
            queue_cap=write.queue_cap,
            overflow=write.overflow,
            secrets=config_secrets(self._config),
            collapser=self._log,
            maintenance=self._maintenance,
            outbox=outbox,
        )
        self._fallback_reason = fallback_reason
        self._writer = SessionWriter(
            self._clock,
            self._pipeline.submit,
            payload_cap=write.payload_cap_bytes,
            sample_interval_ms=write.sample_interval_ms,
            zone=self._config.zone(),
            new_uuid=new_session_uuid or (lambda: str(uuid.uuid4())),
        )
        self._lock = threading.Lock()
        self._live: LiveSession | None = None
        self._player_paused = False  # the player's state, carried into the next session
        self._closed = False
        self._bad_input = 0
        self._internal_errors = 0
        # The exit hook holds the tracker weakly, so a dropped tracker can be collected; then
        # the finalizer lets the worker drain and stop. close() removes both.
        self._atexit_hook = functools.partial(_close_at_exit, weakref.ref(self))
        atexit.register(self._atexit_hook)
        self._finalizer = weakref.finalize(self, self._pipeline.request_stop)

    # ================================================================ properties

    @property
    def store(self) -> ImmersionTrackingStore:
        """The store, for reads (``session_summaries``, ``overview``, ...)."""
        return self._store

    @property
    def config(self) -> TrackerConfig:
        return self._config

    @property
    def session(self) -> ActiveSession | None:
        """The session being recorded, with its exact live counters, or ``None``."""
        with self._lock:
            return None if self._live is None else self._live.snapshot()

    # ================================================================ media and session

    @_guarded
    def handle_media_change(self, path: object, title: object = None) -> None:
        """The player opened ``path`` (a file path or URL): end the current session and
        start one for it. ``None``/empty ends the session; the same video again changes
        nothing (a new ``title`` is still taken)."""
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if path is not None and not isinstance(path, str):
            return self._reject("handle_media_change", "path must be a string, path or None")
        if title is not None and not isinstance(title, str):
            self._reject("handle_media_change", "title must be a string or None")
        if not path or not path.strip():
            with self._lock:
                self._end_session()
            return None
        identity = identify_video(path)
        given_title = _clean_title(title)
        with self._lock:
            live = self._live
            if self._closed:
                return None
            if live is not None and live.video_key == identity.video_key:
                if given_title is not None:
                    self._writer.set_title(live, given_title)
                return None
            self._end_session()
            fallback = _clean_title(identity.default_title) or identity.video_key
            self._live = self._writer.start(
                identity, given_title or fallback, paused=self._player_paused
            )
        return None

    @_guarded
    def handle_media_title_update(self, title: object) -> None:
        """The player's ``media-title`` changed."""
        cleaned = _clean_title(title)
        if cleaned is None:
            if not isinstance(title, str):
                self._reject("handle_media_title_update", "title must be a string")
            return
        with self._lock:
            if self._live is not None:
                self._writer.set_title(self._live, cleaned)

    @_guarded
    def record_media_duration(self, duration_s: object) -> None:
        """The media's duration in seconds (decides when the video counts as watched)."""
        duration_ms = _seconds_to_ms(duration_s)
        if duration_ms is None:
            return self._reject("record_media_duration", "duration must be a finite number >= 0")
        with self._lock:
            if self._live is not None and duration_ms:  # 0: unknown (a live stream)
                self._writer.set_duration(self._live, duration_ms, WATCHED_FRACTION)
        return None

    # ================================================================ hot path

    @_guarded
    def record_playback_position(self, media_time_s: object) -> None:
        """A ``time-pos`` tick: the media position in seconds."""
        media_ms = _seconds_to_ms(media_time_s)
        if media_ms is None:
            return self._reject("record_playback_position", "time must be a finite number >= 0")
        with self._lock:
            live = self._live
            if live is None:
                return None
            mono = self._writer.mono_ms()
            seek = live.tick(mono, media_ms, GAP_GUARD_MS, SEEK_THRESHOLD_MS)
            live.update_watched(WATCHED_FRACTION)
            if seek is not None:
                self._writer.seek(live, mono, *seek)
            elif live.dirty:
                self._writer.maybe_sample(live, mono)
        return None

    def record_subtitle_line(
        self, text: object, start_s: object, end_s: object, tokens: object = None
    ) -> None:
        """A subtitle line shown from ``start_s`` to ``end_s`` (media seconds).

        Counted once per session per (start, normalized text); ignored unless
        ``end_s > start_s`` and the text has a word. ``tokens`` is the host's tokenizer count.
        """
        # The hot path: only what decides what is recorded (the checks, the normalized text
        # for the dedupe, the counters) runs here; the event and its JSON are built by the
        # worker (``SessionWriter.line``). _guarded's try inline: one call frame less.
        try:
            if not isinstance(text, str):
                return self._reject("record_subtitle_line", "text must be a string")
            if (
                type(start_s) is float
                and type(end_s) is float
                and 0.0 <= start_s <= _MAX_SECONDS
                and 0.0 <= end_s <= _MAX_SECONDS
            ):  # what players send: _seconds_to_ms without the calls (NaN fails these)
                start_ms, end_ms = round(start_s * 1000), round(end_s * 1000)
            else:
                start, end = _seconds_to_ms(start_s), _seconds_to_ms(end_s)
                if start is None or end is None:
                    return self._reject("record_subtitle_line", "times must be finite numbers >= 0")
                start_ms, end_ms = start, end
            if end_ms <= start_ms:
                return None  # mpv reports start and end separately: wait for the whole line
            words = text[:MAX_TEXT_CHARS].split()
            if not words:
                return None
            normalized, token_count = clean_line(words)
            if tokens is not None:
                if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0:
                    token_count = tokens
                else:
                    self._reject("record_subtitle_line", "tokens must be an integer >= 0 or None")
            word_count = len(words)
            with self._lock:
                live = self._live
                if live is None:
                    return None
                seen = live.seen_lines  # LiveSession.first_time, inline for the common case
                first = seen.get(start_ms)
                if first is None:
                    seen[start_ms] = normalized
                elif first == normalized or not live.first_time(start_ms, normalized):
                    return None
                line_index = live.lines_seen
                live.lines_seen = line_index + 1
                live.words_seen += word_count
                live.tokens_seen += token_count
                self._writer.line(live, line_index, start_ms, end_ms, word_count, normalized)
        except Exception as exc:
            self._internal_error("record_subtitle_line", exc)
        return None

    # ================================================================ host events

    @_guarded
    def record_pause_state(self, paused: object) -> None:
        """The player paused (``True``) or resumed (``False``)."""
        if not isinstance(paused, bool | int) or paused not in (0, 1):
            return self._reject("record_pause_state", "paused must be a bool")
        with self._lock:
            if bool(paused) == self._player_paused:
                return None
            self._player_paused = bool(paused)
            live = self._live
            if live is None:
                return None
            mono, now_ms = self._writer.mono_ms(), self._clock.now_ms()
            if paused:
                self._writer.start_pause(live, mono, now_ms)
            else:
                self._writer.end_pause(live, mono, now_ms)
        return None

    @_guarded
    def record_lookup(self, hit: object) -> None:
        """A known-word check; ``hit`` says whether the word was known."""
        if not isinstance(hit, bool | int):
            return self._reject("record_lookup", "hit must be a bool")
        with self._lock:
            if (live := self._live) is not None:
                live.lookup_count += 1
                live.lookup_hits += int(bool(hit))
                self._writer.event(
                    live, self._writer.mono_ms(), EventType.LOOKUP, {"hit": bool(hit)}
                )
        return None

    @_guarded
    def record_dictionary_lookup(self) -> None:
        """An intentional dictionary (Yomitan) lookup."""
        with self._lock:
            if (live := self._live) is not None:
                live.dictionary_lookups += 1
                self._writer.event(live, self._writer.mono_ms(), EventType.DICTIONARY_LOOKUP)

    @_guarded
    def record_cards_mined(self, count: object = 1, note_ids: Iterable[object] = ()) -> None:
        """``count`` Anki cards were mined (``note_ids``: the new notes, if known)."""
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10**6:
            return self._reject("record_cards_mined", "count must be an integer from 1")
        # (a few ids fill the payload cap anyway; never walk a huge iterable on this thread)
        ids = [n for n in itertools.islice(note_ids, 64) if type(n) is int]
        with self._lock:
            if (live := self._live) is not None:
                live.cards_mined += count
                payload = {"cardsMined": count, "noteIds": ids}
                self._writer.event(
                    live, self._writer.mono_ms(), EventType.CARD_MINED, payload, cards_delta=count
                )
        return None

    @_guarded
    def record_media_buffer_event(self) -> None:
        """The player stalled to buffer."""
        with self._lock:
            if (live := self._live) is not None:
                live.media_buffer_events += 1
                self._writer.event(
                    live, self._writer.mono_ms(), EventType.MEDIA_BUFFER, {"buffer": True}
                )

    # ================================================================ lifecycle

    def flush(self, timeout_s: float | None = None) -> bool:
        """Store everything recorded so far (the active session's counters included, as a
        sample), waiting at most ``timeout_s`` seconds (``None``: 10 s).

        ``True`` when all of it was stored; ``False`` on timeout or when a write since the
        previous successful flush was dropped or dead-lettered (see ``diagnostics()``).
        """
        try:
            with self._lock:
                if self._live is not None and self._live.dirty:
                    self._writer.sample(self._live, self._writer.mono_ms())
            return self._pipeline.flush(timeout_s)
        except Exception as exc:
            self._internal_error("flush", exc)
            return False

    def close(self, timeout_s: float | None = None) -> bool:
        """End the active session, store everything and stop, within ``timeout_s`` seconds
        (``None``: 10 s); the store is closed too. Idempotent. Returns whether everything
        recorded was stored."""
        try:
            with self._lock:
                if not self._closed:
                    self._closed = True
                    self._end_session()
            atexit.unregister(self._atexit_hook)
            self._finalizer.detach()
            return self._pipeline.close(timeout_s)
        except Exception as exc:
            self._internal_error("close", exc)
            return False

    def diagnostics(self) -> Diagnostics:
        """Counters of the recording pipeline (see ``Diagnostics``)."""
        with self._lock:
            bad_input, internal_errors = self._bad_input, self._internal_errors
        snapshot = self._pipeline.diagnostics(bad_input=bad_input, internal_errors=internal_errors)
        if self._fallback_reason is None:
            return snapshot
        return dataclasses.replace(
            snapshot, fallback_active=True, fallback_reason=self._fallback_reason
        )

    def run_maintenance(self, timeout_s: float | None = None) -> MaintenanceReport | None:
        """Run one maintenance pass on the worker now (after writing what is queued) and
        return its report; ``None`` when it failed or did not finish within ``timeout_s``
        seconds (``None``: 10 min), with the reason in ``diagnostics().last_error``.

        Blocks the calling thread (not for the hot path); never overlaps a batch write.
        """
        try:
            request = self._maintenance.request()
            self._pipeline.wake()
            timeout = _MAINTENANCE_TIMEOUT_S if timeout_s is None else max(0.0, timeout_s)
            if not request.done.wait(timeout):
                self._pipeline.note_error(f"maintenance did not finish within {timeout:g} s")
                return None
            if request.error is not None:
                self._pipeline.note_error(request.error)
            return request.report
        except Exception as exc:
            self._internal_error("run_maintenance", exc)
            return None

    @property
    def last_maintenance(self) -> MaintenanceReport | None:
        """The report of the latest maintenance pass of this tracker, if any."""
        return self._maintenance.last_report

    def dead_letters(self) -> list[DeadLetter]:
        """The most recent writes the store refused permanently (at most 100)."""
        return self._pipeline.dead_letters()

    def wait_until_idle(self, timeout_s: float | None = None) -> bool:
        """Block until the writer has done all it can at the current clock reading (see
        ``WritePipeline.wait_until_idle``); for tests and simulations on a ``ManualClock``."""
        return self._pipeline.wait_until_idle(timeout_s)

    def __enter__(self) -> Tracker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ================================================================ internals

    def _end_session(self) -> None:
        """Finalize the active session, if any (lock held)."""
        if self._live is not None:
            live, self._live = self._live, None
            self._writer.finalize(live)

    def _reject(self, call: str, why: str) -> None:
        with self._lock:
            self._bad_input += 1
        self._log.warning(f"ignored invalid input to Tracker.{call}: {why}")

    def _internal_error(self, call: str, exc: BaseException) -> None:
        # A bug of ours must not become the caller's problem: count it, keep it, log it.
        try:
            with self._lock:
                self._internal_errors += 1
            message = f"Tracker.{call} failed internally: {type(exc).__name__}: {exc}"
            self._pipeline.note_error(message)
            self._log.error(message)
        except Exception:  # pragma: no cover - even reporting failed: stay silent
            pass


def _close_at_exit(ref: weakref.ReferenceType[Tracker]) -> None:
    tracker = ref()
    if tracker is not None:
        tracker.close(_EXIT_TIMEOUT_S)
