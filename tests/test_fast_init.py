"""``fast_init.positional_builder``: objects the same as the frozen class's own, still frozen."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass

import pytest

from immersion.domain import EventType, SessionCounters, TelemetrySample, TrackedEvent
from immersion.fast_init import positional_builder


def test_an_event_is_the_frozen_class_in_every_respect() -> None:
    values = ("uuid-1", 7, 1_000, EventType.CARD_MINED, 3, 10, 20, 2, 1, '{"a":1}')
    built = positional_builder(TrackedEvent)(*values)
    own = TrackedEvent(*values)
    assert type(built) is TrackedEvent
    assert built == own and hash(built) == hash(own) and repr(built) == repr(own)
    assert pickle.loads(pickle.dumps(built)) == own
    assert copy.copy(built) == own and dataclasses.astuple(built) == values
    assert dataclasses.replace(built, seq=8).seq == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.seq = 9  # type: ignore[misc]


def test_a_sample_with_its_counters() -> None:
    counters = positional_builder(SessionCounters)(*range(14))
    sample = positional_builder(TelemetrySample)("u", 1, 2, counters)
    assert counters == SessionCounters(*range(14))
    assert sample == TelemetrySample("u", 1, 2, SessionCounters(*range(14)))
    assert sample.counters.media_buffer_events == 13


def test_every_field_is_required_positionally() -> None:
    with pytest.raises(TypeError):
        positional_builder(TrackedEvent)("u", 1, 2, EventType.LOOKUP)


def test_only_slotted_dataclasses() -> None:
    @dataclass(frozen=True)
    class Plain:
        x: int

    with pytest.raises(TypeError, match="slotted"):
        positional_builder(Plain)
    with pytest.raises(TypeError, match="slotted"):
        positional_builder(int)
