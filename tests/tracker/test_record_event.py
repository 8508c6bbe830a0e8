"""``RecordEvent`` is a frozen value whichever way it was made: from the event object, or from
the event's field values (a subtitle line's write, built by the pipeline's worker)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from immersion.domain import EventType, TrackedEvent
from immersion.writes import RecordEvent, Write, event_values
from immersion.writes_codec import decode_write, encode_write

EVENT = TrackedEvent("s1", 3, 1_000, EventType.SUBTITLE_LINE, 2, 10, 20, 4, 0, '{"text":"a"}')


def test_both_ways_make_the_same_value() -> None:
    by_object, by_values = RecordEvent(EVENT), RecordEvent.from_values(event_values(EVENT))
    assert by_object == by_values and hash(by_object) == hash(by_values)
    assert repr(by_values) == f"RecordEvent(event={EVENT!r})"
    assert by_values.event == EVENT and type(by_values.event) is TrackedEvent
    assert by_object.values == by_values.values == dataclasses.astuple(EVENT)
    assert RecordEvent(EVENT) != RecordEvent(dataclasses.replace(EVENT, seq=4))
    assert RecordEvent(EVENT) != EVENT


def test_it_is_frozen() -> None:
    write = RecordEvent.from_values(event_values(EVENT))
    with pytest.raises(dataclasses.FrozenInstanceError):
        write.event = EVENT  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del write.values  # type: ignore[misc]


def test_it_copies_pickles_matches_and_encodes() -> None:
    write = RecordEvent.from_values(event_values(EVENT))
    assert copy.copy(write) == write and pickle.loads(pickle.dumps(write)) == write
    match write:
        case RecordEvent(event=event):
            assert event == EVENT
    match write:
        case RecordEvent(event):
            assert event == EVENT
    written: Write = write
    assert decode_write(encode_write(written)) == write
