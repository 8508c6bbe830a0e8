"""The writes a tracker hands to a store, batched by the pipeline.

Each write is a small frozen value; ``ImmersionTrackingStore.write_batch`` applies a sequence
of them atomically and idempotently (replaying a batch stores nothing twice):

- ``UpsertVideo``: insert the video, or update title/duration/metadata of an existing key.
- ``StartSession``: insert the session unless its UUID exists (then: no-op).
- ``RecordSample``: insert a telemetry sample unless ``(session_uuid, seq)`` exists, and raise
  the session's live counters to it when it is the newest sample of an active session.
- ``RecordEvent``: insert an event unless ``(session_uuid, seq)`` exists.
- ``FinalizeSession``: end the session with its final counters (repeatable; same result).
- ``UpdateVideoTitle`` / ``UpdateVideoDuration``: change one field of an existing video.

A write naming a video or session that does not exist is an integrity error
(``StoreIntegrityError``): the pipeline isolates and dead-letters it.

``LineFields`` is not a write but what the tracker queues for a subtitle line: the event's
plain values, which the pipeline's worker turns into the ``RecordEvent`` (``line_write``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, fields
from operator import attrgetter

from .domain import EventType, SessionCounters, TelemetrySample, TrackedEvent, Video
from .payload import encode_line_payload

__all__ = [
    "EventValues",
    "FinalizeSession",
    "LineFields",
    "RecordEvent",
    "RecordSample",
    "StartSession",
    "UpdateVideoDuration",
    "UpdateVideoTitle",
    "UpsertVideo",
    "Write",
    "event_values",
    "is_session_boundary",
    "line_write",
]


@dataclass(frozen=True, slots=True)
class UpsertVideo:
    video: Video


@dataclass(frozen=True, slots=True)
class UpdateVideoTitle:
    video_key: str
    title: str
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class UpdateVideoDuration:
    video_key: str
    duration_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class StartSession:
    session_uuid: str
    video_key: str
    started_at_ms: int
    local_day: dt.date
    local_month: int
    local_hour: int


@dataclass(frozen=True, slots=True)
class RecordSample:
    sample: TelemetrySample


# The fields of a TrackedEvent, in order (its dataclass fields).
EventValues = tuple[
    str, int, int, EventType, int | None, int | None, int | None, int, int, str | None
]
# The field values of an event, in order: ``event_values(event)``.
event_values: Callable[[TrackedEvent], EventValues] = attrgetter(
    *(f.name for f in fields(TrackedEvent))
)


class RecordEvent:
    """Insert ``event`` unless ``(session_uuid, seq)`` exists.

    A frozen value like the other writes (equal, hashable and printed by its event), written
    by hand rather than as a dataclass because it holds the event two ways: the object, and
    ``values``, its field values in order. Either is made from the other when first asked for.
    A subtitle line's write is made from values on the writer thread (``line_write``) and the
    SQL stores check and insert values, so a line's frozen ``TrackedEvent`` is built only if
    something asks for ``event``: lines are most of what a tracker writes.
    """

    __slots__ = ("_event", "_values")
    __match_args__ = ("event",)
    _event: TrackedEvent | None
    _values: EventValues | None

    def __init__(self, event: TrackedEvent) -> None:
        _set_event(self, event)
        _set_values(self, None)

    @classmethod
    def from_values(cls, values: EventValues) -> RecordEvent:
        """The write of the event whose field values are ``values`` (``TrackedEvent`` order)."""
        write = _new(cls)
        _set_event(write, None)
        _set_values(write, values)
        return write

    @property
    def event(self) -> TrackedEvent:
        event = self._event
        if event is None:
            assert self._values is not None  # (one of the two is always set)
            event = TrackedEvent(*self._values)
            _set_event(self, event)
        return event

    @property
    def values(self) -> EventValues:
        """The event's field values, in ``TrackedEvent`` order."""
        values = self._values
        if values is None:
            assert self._event is not None
            values = event_values(self._event)
            _set_values(self, values)
        return values

    def __eq__(self, other: object) -> bool:
        if type(other) is not RecordEvent:
            return NotImplemented
        return self.values == other.values  # (what comparing the events compares)

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"RecordEvent(event={self.event!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[RecordEvent], tuple[TrackedEvent]]:
        return (RecordEvent, (self.event,))


_new = object.__new__
_set_event = vars(RecordEvent)["_event"].__set__
_set_values = vars(RecordEvent)["_values"].__set__


@dataclass(frozen=True, slots=True)
class FinalizeSession:
    session_uuid: str
    ended_at_ms: int
    counters: SessionCounters
    ended_media_ms: int | None = None
    last_sample_ms: int | None = None


Write = (
    UpsertVideo
    | UpdateVideoTitle
    | UpdateVideoDuration
    | StartSession
    | RecordSample
    | RecordEvent
    | FinalizeSession
)


def is_session_boundary(write: Write) -> bool:
    """Writes that overflow never drops: without them a session's history is wrong."""
    return isinstance(write, UpsertVideo | StartSession | FinalizeSession)


# A subtitle line's event as the recording thread queues it: (session_uuid, seq, ts_ms,
# line_index, segment_start_ms, segment_end_ms, words, text, payload_cap_bytes). Lines are
# most of what a tracker records and the caller's thread must stay cheap, so it builds no
# frozen objects and no JSON; and a tuple of plain values is soon left alone by the garbage
# collector, where a dataclass stays tracked for as long as it is queued.
LineFields = tuple[str, int, int, int, int, int, int, str, int]

_LINE = EventType.SUBTITLE_LINE


def line_write(fields: LineFields) -> RecordEvent:
    """The ``RecordEvent`` of a queued subtitle line (on the writer thread)."""
    session_uuid, seq, ts_ms, line_index, start_ms, end_ms, words, text, cap = fields
    payload = encode_line_payload(text, words, cap)
    return RecordEvent.from_values(
        (session_uuid, seq, ts_ms, _LINE, line_index, start_ms, end_ms, words, 0, payload)
    )
