"""Value checks of writes, shared by every store so all reject exactly the same data.

The checks need no data (whether a named video or session exists is each store's business),
so they are one pure function: ``validate_write``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from operator import attrgetter
from typing import NoReturn

from ..domain import (
    COUNTER_NAMES,
    EventType,
    SessionCounters,
    SourceType,
    TelemetrySample,
    TrackedEvent,
    Video,
)
from ..errors import StoreIntegrityError
from ..writes import (
    EventValues,
    FinalizeSession,
    RecordEvent,
    RecordSample,
    StartSession,
    UpdateVideoDuration,
    UpdateVideoTitle,
    UpsertVideo,
    Write,
    event_values,
)

__all__ = [
    "MAX_KEY_CHARS",
    "MAX_STORED_INT",
    "plain_event",
    "plain_sample",
    "plain_values",
    "validate_batch",
    "validate_write",
]

# The largest integer every target engine stores exactly (signed 64-bit: SQLite INTEGER,
# PostgreSQL/MySQL BIGINT). The reference model rejects anything larger so that no backend
# is asked to accept a value another one cannot hold.
MAX_STORED_INT = 2**63 - 1

# Longest public identifiers, in code points: the SQL schema's key columns (VARCHAR, sized for
# MySQL's 3072-byte index limit). Longer keys are refused everywhere rather than truncated or
# refused by one engine only.
MAX_KEY_CHARS = {"video_key": 768, "session_uuid": 36}


def validate_write(write: Write) -> Write:
    """Check the values of one write; return it with its enums normalised.

    Raises ``StoreIntegrityError`` for anything ``ImmersionTrackingStore.write_batch``
    documents as invalid. Whether named videos and sessions exist is not checked here.
    """
    # Events and samples are the bulk of every batch: straight to their checks (the match
    # below tries each class in turn), and the write itself back when nothing changed.
    if type(write) is RecordEvent:
        if plain_values(write.values):
            return write
        event = _checked_event(write.event)
        return write if event is write.event else RecordEvent(event)
    if type(write) is RecordSample:
        if not plain_sample(write.sample):
            _checked_sample(write.sample)
        return write
    match write:
        case UpsertVideo(video=video):
            return UpsertVideo(_checked_video(video))
        case UpdateVideoTitle():
            _key("video_key", write.video_key)
            _text("title", write.title)
            _int("updated_at_ms", write.updated_at_ms)
        case UpdateVideoDuration():
            _key("video_key", write.video_key)
            _int("duration_ms", write.duration_ms)
            _int("updated_at_ms", write.updated_at_ms)
        case StartSession():
            _key("session_uuid", write.session_uuid)
            _key("video_key", write.video_key)
            _int("started_at_ms", write.started_at_ms)
            if not isinstance(write.local_day, dt.date):
                _fail("local_day must be a date")
            month, hour = write.local_month, write.local_hour
            if not (
                isinstance(month, int) and 1 <= month // 100 <= 9999 and 1 <= month % 100 <= 12
            ):
                _fail(f"local_month must be a YYYYMM month, got {month!r}")
            if not (isinstance(hour, int) and 0 <= hour <= 23):
                _fail(f"local_hour must be 0-23, got {hour!r}")
        case RecordSample(sample=sample):
            _checked_sample(sample)
        case RecordEvent(event=event):
            return RecordEvent(_checked_event(event))
        case FinalizeSession():
            _key("session_uuid", write.session_uuid)
            _int("ended_at_ms", write.ended_at_ms)
            _int("ended_media_ms", write.ended_media_ms, optional=True)
            _int("last_sample_ms", write.last_sample_ms, optional=True)
            _counters(write.counters)
        case _:
            _fail(f"not a write: {type(write).__name__}")
    return write


def validate_batch(writes: Sequence[Write]) -> list[Write]:
    """``validate_write`` for each write of a ``write_batch``; the error names the write's
    index and kind."""
    checked: list[Write] = []
    append = checked.append
    for index, write in enumerate(writes):
        # Plain events, the bulk of every batch, without the calls in between.
        if type(write) is RecordEvent and plain_values(write.values):
            append(write)
            continue
        try:
            append(validate_write(write))
        except StoreIntegrityError as exc:
            raise StoreIntegrityError(
                f"write {index} ({type(write).__name__}) of the batch: {exc}"
            ) from None
    return checked


_COUNTER_VALUES = attrgetter(*COUNTER_NAMES)
_UUID_CHARS = MAX_KEY_CHARS["session_uuid"]
_MAX = MAX_STORED_INT


def plain_event(event: TrackedEvent) -> bool:
    """Whether ``event`` is certainly valid, decided quickly: plain ints in range, an
    ``EventType``, an ASCII UUID and a clean payload (events are the bulk of every batch and
    of every transfer). ``False`` means: take the thorough checks, which say what is wrong."""
    return plain_values(event_values(event))


def plain_values(values: EventValues) -> bool:
    """``plain_event`` for an event's field values (``RecordEvent.values``)."""
    uuid, seq, ts_ms, kind, index, start, end, words, cards, payload = values
    if not (
        type(uuid) is str
        and 0 < len(uuid) <= _UUID_CHARS
        and uuid.isascii()
        and "\x00" not in uuid
        and type(kind) is EventType
        and type(seq) is int
        and type(ts_ms) is int
        and type(words) is int
        and type(cards) is int
        and 0 <= seq <= _MAX
        and 0 <= ts_ms <= _MAX
        and 0 <= words <= _MAX
        and 0 <= cards <= _MAX
        and (index is None or (type(index) is int and 0 <= index <= _MAX))
        and (start is None or (type(start) is int and 0 <= start <= _MAX))
        and (end is None or (type(end) is int and 0 <= end <= _MAX))
    ):
        return False
    return payload is None or _plain_text(payload)


def plain_sample(sample: TelemetrySample) -> bool:
    """``plain_event`` for a telemetry sample."""
    uuid, seq, sample_ms = sample.session_uuid, sample.seq, sample.sample_ms
    counters = sample.counters
    return (
        type(uuid) is str
        and 0 < len(uuid) <= _UUID_CHARS
        and uuid.isascii()
        and "\x00" not in uuid
        and type(seq) is int
        and type(sample_ms) is int
        and 0 <= seq <= _MAX
        and 0 <= sample_ms <= _MAX
        and type(counters) is SessionCounters
        and all(type(value) is int and 0 <= value <= _MAX for value in _COUNTER_VALUES(counters))
    )


def _plain_text(value: object) -> bool:
    """A string every engine stores unchanged, checked without raising."""
    if type(value) is not str or "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fail(message: str) -> NoReturn:
    raise StoreIntegrityError(message)


def _int(name: str, value: object, *, optional: bool = False) -> None:
    if type(value) is int and 0 <= value <= MAX_STORED_INT:  # the common case, first
        return
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_STORED_INT:
        _fail(f"{name} must be an integer from 0 to 2**63-1, got {value!r:.40}")


def _key(name: str, value: object) -> None:
    _text(name, value, required=True)
    if isinstance(value, str) and len(value) > MAX_KEY_CHARS[name]:
        _fail(f"{name} is longer than {MAX_KEY_CHARS[name]} characters")


def _text(name: str, value: object, *, required: bool = False, optional: bool = False) -> None:
    """Strings every engine stores unchanged: valid UTF-8 (no lone surrogates), no NUL
    (PostgreSQL refuses it in text). The value is never echoed: it may be huge."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        _fail(f"{name} must be a string")
    if required and not value:
        _fail(f"{name} must not be empty")
    if "\x00" in value:
        _fail(f"{name} must not contain NUL characters")
    if value.isascii():  # no surrogate, and no copy to find out
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _fail(f"{name} is not valid Unicode (lone surrogate)")


def _counters(counters: SessionCounters) -> None:
    if not isinstance(counters, SessionCounters):
        _fail("counters must be SessionCounters")
    for name, value in zip(COUNTER_NAMES, _COUNTER_VALUES(counters), strict=True):
        _int(name, value)


def _checked_sample(sample: TelemetrySample) -> None:
    _key("session_uuid", sample.session_uuid)
    _int("seq", sample.seq)
    _int("sample_ms", sample.sample_ms)
    _counters(sample.counters)


def _checked_event(event: TrackedEvent) -> TrackedEvent:
    _key("session_uuid", event.session_uuid)
    _int("seq", event.seq)
    _int("ts_ms", event.ts_ms)
    if type(event.event_type) is EventType:
        event_type = event.event_type
    else:
        try:
            event_type = EventType(event.event_type)
        except ValueError:
            _fail(f"unknown event type {event.event_type!r}")
    for name in ("line_index", "segment_start_ms", "segment_end_ms"):
        _int(name, getattr(event, name), optional=True)
    _int("words_delta", event.words_delta)
    _int("cards_delta", event.cards_delta)
    _text("payload_json", event.payload_json, optional=True)
    # Copy only when a plain int came in: events are the bulk of every batch.
    return event if event_type is event.event_type else replace(event, event_type=event_type)


def _checked_video(video: Video) -> Video:
    """Validate a video and return it with its enum normalised."""
    _key("video_key", video.video_key)
    _text("title", video.title)
    try:
        source_type = SourceType(video.source_type)
    except ValueError:
        _fail(f"unknown source type {video.source_type!r}")
    _text("source_path", video.source_path, optional=True)
    _text("source_url", video.source_url, optional=True)
    _int("duration_ms", video.duration_ms, optional=True)
    _int("created_at_ms", video.created_at_ms)
    _int("updated_at_ms", video.updated_at_ms)
    md = video.metadata
    for name in ("file_size_bytes", "width_px", "height_px", "fps_x100", "bitrate_kbps"):
        _int(f"metadata.{name}", getattr(md, name), optional=True)
    _text("metadata.codec", md.codec, optional=True)
    return replace(video, source_type=source_type)
