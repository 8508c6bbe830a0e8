"""The session a ``Tracker`` is recording, and the writes it turns into.

- ``LiveSession``: its mutable state (counters, ``seq``, tick and pause bookkeeping) in plain
  slotted attributes, because the tracker updates them on the hot path under its lock.
- ``SessionWriter``: what is written when (start, events, samples, finalize).
- ``ActiveSession``: the frozen snapshot ``Tracker.session`` returns.

Times named ``*_mono`` are the clock's monotonic reading in integer ms (intervals); ``*_ms``
without it are epoch ms (what is stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .clock import Clock
from .domain import EventType, SessionCounters, TelemetrySample, TrackedEvent, Video
from .keys import VideoIdentity
from .localtime import local_time
from .payload import encode_payload
from .writes import (
    FinalizeSession,
    LineFields,
    RecordEvent,
    RecordSample,
    StartSession,
    UpdateVideoDuration,
    UpdateVideoTitle,
    UpsertVideo,
    Write,
)

__all__ = ["ActiveSession", "LiveSession", "SessionWriter"]


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A snapshot of the session being recorded (``Tracker.session``).

    ``watched``: playback reached 85% of the duration. ``media_position_ms``: the last
    reported playback position (stored as the session's end position when it ends).
    """

    session_uuid: str
    video_key: str
    title: str
    started_at_ms: int
    counters: SessionCounters
    media_position_ms: int | None
    duration_ms: int | None
    watched: bool
    paused: bool


class LiveSession:
    """Counters, sequence numbers, tick and pause bookkeeping of one session."""

    __slots__ = (
        "active_watched_ms",
        "cards_mined",
        "dictionary_lookups",
        "dirty",
        "duration_ms",
        "interval_had_pause",
        "interval_paused_ms",
        "last_sample_mono",
        "last_sample_ms",
        "lines_seen",
        "lookup_count",
        "lookup_hits",
        "media_buffer_events",
        "media_ms",
        "pause_count",
        "pause_ms",
        "pause_started",
        "seek_backward_count",
        "seek_forward_count",
        "seen_lines",
        "seen_more",
        "seq",
        "started_at_ms",
        "tick_media",
        "tick_mono",
        "title",
        "tokens_seen",
        "total_watched_ms",
        "uuid",
        "video_key",
        "watched",
        "words_seen",
    )

    def __init__(
        self, uuid: str, video_key: str, title: str, started_at_ms: int, mono: int
    ) -> None:
        self.uuid = uuid
        self.video_key = video_key
        self.title = title
        self.started_at_ms = started_at_ms
        self.seq = 0  # shared by events and samples: (uuid, seq) identifies each
        # counters (SessionCounters field names)
        self.total_watched_ms = 0
        self.active_watched_ms = 0
        self.lines_seen = 0
        self.words_seen = 0
        self.tokens_seen = 0
        self.cards_mined = 0
        self.lookup_count = 0
        self.lookup_hits = 0
        self.dictionary_lookups = 0
        self.pause_count = 0
        self.pause_ms = 0
        self.seek_forward_count = 0
        self.seek_backward_count = 0
        self.media_buffer_events = 0
        # samples: ``dirty`` = counters changed since the last sample
        self.dirty = False
        self.last_sample_mono = mono
        self.last_sample_ms: int | None = None
        # Lines counted (the dedupe): the first text shown at each start, and the rare further
        # texts with a start already taken. Plain keys and values: counting a line allocates
        # nothing the garbage collector tracks.
        self.seen_lines: dict[int, str] = {}
        self.seen_more: set[tuple[int, str]] = set()
        # ticks: the previous time-pos tick, and what the pause did since then
        self.tick_mono: int | None = None
        self.tick_media = 0
        self.interval_paused_ms = 0
        self.interval_had_pause = False
        self.pause_started: int | None = None  # mono ms of the pause in progress
        # media
        self.media_ms: int | None = None
        self.duration_ms: int | None = None
        self.watched = False

    def first_time(self, start_ms: int, text: str) -> bool:
        """Whether the line ``text`` shown at ``start_ms`` is new (and remember it)."""
        first = self.seen_lines.get(start_ms)
        if first is None:
            self.seen_lines[start_ms] = text
            return True
        if first == text or (start_ms, text) in self.seen_more:
            return False
        self.seen_more.add((start_ms, text))
        return True

    def snapshot(self) -> ActiveSession:
        return ActiveSession(
            session_uuid=self.uuid,
            video_key=self.video_key,
            title=self.title,
            started_at_ms=self.started_at_ms,
            counters=self.counters(),
            media_position_ms=self.media_ms,
            duration_ms=self.duration_ms,
            watched=self.watched,
            paused=self.pause_started is not None,
        )

    def counters(self) -> SessionCounters:
        return SessionCounters(
            total_watched_ms=self.total_watched_ms,
            active_watched_ms=self.active_watched_ms,
            lines_seen=self.lines_seen,
            words_seen=self.words_seen,
            tokens_seen=self.tokens_seen,
            cards_mined=self.cards_mined,
            lookup_count=self.lookup_count,
            lookup_hits=self.lookup_hits,
            dictionary_lookups=self.dictionary_lookups,
            pause_count=self.pause_count,
            pause_ms=self.pause_ms,
            seek_forward_count=self.seek_forward_count,
            seek_backward_count=self.seek_backward_count,
            media_buffer_events=self.media_buffer_events,
        )

    def event(
        self,
        ts_ms: int,
        event_type: EventType,
        line_index: int | None,
        segment_start_ms: int | None,
        segment_end_ms: int | None,
        words_delta: int,
        cards_delta: int,
        payload_json: str | None,
    ) -> TrackedEvent:
        """The next event; the caller has already changed the counters it reflects.
        (Positional: it runs for every subtitle line.)"""
        self.seq += 1
        self.dirty = True
        return TrackedEvent(
            self.uuid,
            self.seq,
            ts_ms,
            event_type,
            line_index,
            segment_start_ms,
            segment_end_ms,
            words_delta,
            cards_delta,
            payload_json,
        )

    def sample(self, now_ms: int, mono: int) -> TelemetrySample:
        """A snapshot of the counters as the next telemetry sample."""
        self.seq += 1
        self.dirty = False
        self.last_sample_mono = mono
        self.last_sample_ms = now_ms
        return TelemetrySample(self.uuid, self.seq, now_ms, self.counters())

    def tick(self, mono: int, media_ms: int, gap_ms: int, seek_ms: int) -> tuple[int, int] | None:
        """Account a ``time-pos`` tick; return ``(from_ms, to_ms)`` when it reveals a seek.

        The wall time since the previous tick is watched time (active only when no pause
        touched the interval) unless it reaches ``gap_ms`` (suspend, stall: dropped). The
        media should have moved by the unpaused part of the interval; a difference of
        ``seek_ms`` or more is a seek. Backwards only counts when the position really went
        back, so a buffering stall (the media lagging the wall clock) is not a seek.
        """
        previous = self.tick_mono
        seek: tuple[int, int] | None = None
        if previous is not None:
            delta = mono - previous
            if 0 <= delta < gap_ms:
                paused_ms = self.interval_paused_ms
                paused_now = self.pause_started is not None
                if self.pause_started is not None:
                    paused_ms += mono - max(self.pause_started, previous)
                if delta:
                    self.total_watched_ms += delta
                    if not (paused_now or self.interval_had_pause):
                        self.active_watched_ms += delta
                    self.dirty = True
                jump = (media_ms - self.tick_media) - (delta - paused_ms)
                if jump >= seek_ms or (jump <= -seek_ms and media_ms < self.tick_media):
                    seek = (self.tick_media, media_ms)
        self.tick_mono = mono
        self.tick_media = media_ms
        self.media_ms = media_ms
        self.interval_paused_ms = 0
        self.interval_had_pause = self.pause_started is not None
        return seek

    def start_pause(self, mono: int) -> None:
        self.pause_count += 1
        self.pause_started = mono
        self.interval_had_pause = True

    def end_pause(self, mono: int) -> None:
        """End the pause in progress, if any, adding its wall time to ``pause_ms``."""
        started = self.pause_started
        if started is None:
            return
        self.pause_started = None
        self.pause_ms += max(0, mono - started)
        since = started if self.tick_mono is None else max(started, self.tick_mono)
        self.interval_paused_ms += max(0, mono - since)
        self.dirty = True

    def update_watched(self, fraction: float) -> None:
        if (
            not self.watched
            and self.duration_ms
            and self.media_ms is not None
            and self.media_ms >= self.duration_ms * fraction
        ):
            self.watched = True


class SessionWriter:
    """Turns what happens to a ``LiveSession`` into writes, in order.

    Owns the rules of what is written when: the video upsert and session start, one event per
    occurrence (with the next per-session ``seq``), a telemetry sample at most every
    ``sample_interval_ms`` while the counters change, and the finalize with the exact final
    counters. The caller (the tracker) holds its lock around every call.
    """

    def __init__(
        self,
        clock: Clock,
        submit: Callable[[Write | LineFields, int], None],
        *,
        payload_cap: int,
        sample_interval_ms: int,
        zone: ZoneInfo | None,
        new_uuid: Callable[[], str],
    ) -> None:
        self._clock = clock
        self._monotonic_s = clock.monotonic_s  # bound once: read for every recorded write
        self._now_ms = clock.now_ms
        self._submit = submit
        self._payload_cap = payload_cap
        self._sample_interval_ms = max(0, sample_interval_ms)
        self._zone = zone
        self._new_uuid = new_uuid

    def mono_ms(self) -> int:
        """The clock's monotonic reading in integer ms."""
        return round(self._monotonic_s() * 1000)

    def start(self, identity: VideoIdentity, title: str, paused: bool) -> LiveSession:
        """Upsert the video, start a session for it (paused if the player is)."""
        now_ms, mono = self._clock.now_ms(), self.mono_ms()
        when = local_time(now_ms, self._zone)
        video = Video(
            video_key=identity.video_key,
            title=title,
            source_type=identity.source_type,
            source_path=identity.source_path,
            source_url=identity.source_url,
            created_at_ms=now_ms,
            updated_at_ms=now_ms,
        )
        live = LiveSession(self._new_uuid(), video.video_key, title, now_ms, mono)
        self._submit(UpsertVideo(video), mono)
        start = StartSession(live.uuid, video.video_key, now_ms, when.day, when.month, when.hour)
        self._submit(start, mono)
        if paused:  # the file opens paused (mpv keeps `pause`): a pause of this session
            self.start_pause(live, mono, now_ms)
        return live

    def finalize(self, live: LiveSession) -> None:
        """End ``live`` with its exact counters (after a last sample if they changed)."""
        mono = self.mono_ms()
        live.end_pause(mono)
        if live.dirty or live.last_sample_ms is None:
            self.sample(live, mono)
        finalize = FinalizeSession(
            session_uuid=live.uuid,
            ended_at_ms=self._clock.now_ms(),
            counters=live.counters(),
            ended_media_ms=live.media_ms,
            last_sample_ms=live.last_sample_ms,
        )
        self._submit(finalize, mono)

    def event(
        self,
        live: LiveSession,
        mono: int,
        event_type: EventType,
        payload: dict[str, Any] | None = None,
        *,
        payload_json: str | None = None,
        ts_ms: int | None = None,
        line_index: int | None = None,
        segment_start_ms: int | None = None,
        segment_end_ms: int | None = None,
        words_delta: int = 0,
        cards_delta: int = 0,
    ) -> None:
        """Queue one event of ``live`` (whose counters the caller already changed)."""
        if payload is not None:
            payload_json = encode_payload(payload, self._payload_cap)
        event = live.event(
            self._clock.now_ms() if ts_ms is None else ts_ms,
            event_type,
            line_index=line_index,
            segment_start_ms=segment_start_ms,
            segment_end_ms=segment_end_ms,
            words_delta=words_delta,
            cards_delta=cards_delta,
            payload_json=payload_json,
        )
        self._submit(RecordEvent(event), mono)
        self.maybe_sample(live, mono)

    def line(
        self,
        live: LiveSession,
        line_index: int,
        start_ms: int,
        end_ms: int,
        words: int,
        text: str,
    ) -> None:
        """Queue the event of a subtitle line: what ``event`` does, as ``LineFields`` (the
        hot path: the worker builds the event and its JSON payload)."""
        mono = round(self._monotonic_s() * 1000)
        live.seq = seq = live.seq + 1
        live.dirty = True
        now_ms, cap = self._now_ms(), self._payload_cap
        self._submit((live.uuid, seq, now_ms, line_index, start_ms, end_ms, words, text, cap), mono)
        if mono - live.last_sample_mono >= self._sample_interval_ms:  # (the line made it dirty)
            self.sample(live, mono)

    def seek(self, live: LiveSession, mono: int, from_ms: int, to_ms: int) -> None:
        forward = to_ms > from_ms
        if forward:
            live.seek_forward_count += 1
        else:
            live.seek_backward_count += 1
        self.event(
            live,
            mono,
            EventType.SEEK_FORWARD if forward else EventType.SEEK_BACKWARD,
            {"fromMs": from_ms, "toMs": to_ms},
            segment_start_ms=from_ms,
            segment_end_ms=to_ms,
        )

    def maybe_sample(self, live: LiveSession, mono: int) -> None:
        """A sample when the counters changed and the sample interval has passed."""
        if live.dirty and mono - live.last_sample_mono >= self._sample_interval_ms:
            self.sample(live, mono)

    def sample(self, live: LiveSession, mono: int) -> None:
        self._submit(RecordSample(live.sample(self._clock.now_ms(), mono)), mono)

    def start_pause(self, live: LiveSession, mono: int, now_ms: int) -> None:
        live.start_pause(mono)
        self.event(live, mono, EventType.PAUSE_START, {"paused": True}, ts_ms=now_ms)

    def end_pause(self, live: LiveSession, mono: int, now_ms: int) -> None:
        live.end_pause(mono)
        self.event(live, mono, EventType.PAUSE_END, {"paused": False}, ts_ms=now_ms)

    def set_title(self, live: LiveSession, title: str) -> None:
        if title != live.title:
            live.title = title
            now_ms = self._clock.now_ms()
            self._submit(UpdateVideoTitle(live.video_key, title, now_ms), self.mono_ms())

    def set_duration(self, live: LiveSession, duration_ms: int, watched_fraction: float) -> None:
        if duration_ms != live.duration_ms:
            live.duration_ms = duration_ms
            live.update_watched(watched_fraction)
            now_ms = self._clock.now_ms()
            self._submit(UpdateVideoDuration(live.video_key, duration_ms, now_ms), self.mono_ms())
