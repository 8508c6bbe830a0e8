"""A JSON encoding of writes, for the durable outbox (and anything else that must keep writes
outside the process). JSON, not pickle: the outbox is a file on disk, and reading it must
never execute code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from enum import IntEnum
from typing import Any

from .domain import SessionCounters, TelemetrySample, TrackedEvent, Video, VideoMetadata
from .writes import (
    FinalizeSession,
    RecordEvent,
    RecordSample,
    StartSession,
    UpdateVideoDuration,
    UpdateVideoTitle,
    UpsertVideo,
    Write,
)

__all__ = ["decode_write", "encode_write"]

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        UpsertVideo,
        UpdateVideoTitle,
        UpdateVideoDuration,
        StartSession,
        RecordSample,
        RecordEvent,
        FinalizeSession,
        Video,
        VideoMetadata,
        SessionCounters,
        TelemetrySample,
        TrackedEvent,
    )
}
_WRITE_TYPES = (
    UpsertVideo,
    UpdateVideoTitle,
    UpdateVideoDuration,
    StartSession,
    RecordSample,
    RecordEvent,
    FinalizeSession,
)


def _plain(value: Any) -> Any:
    if type(value) is RecordEvent:  # (a value class written by hand, not a dataclass)
        return {"event": _plain(value.event), "__t": "RecordEvent"}
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, dt.date):
        return {"__date": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        body["__t"] = type(value).__name__
        return body
    return value


def encode_write(write: Write) -> str:
    """One compact JSON line for ``write``."""
    return json.dumps(_plain(write), ensure_ascii=False, separators=(",", ":"))


def _rebuild(value: Any) -> Any:
    if isinstance(value, dict):
        if "__date" in value:
            return dt.date.fromisoformat(value["__date"])
        name = value.get("__t")
        cls = _TYPES.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ValueError(f"unknown record type {name!r}")
        fields = {"event"} if cls is RecordEvent else {f.name for f in dataclasses.fields(cls)}
        args = {key: _rebuild(item) for key, item in value.items() if key in fields}
        return cls(**args)
    return value


def decode_write(text: str) -> Write:
    """The write ``encode_write`` produced (enums come back as ints; stores normalise them).

    Raises ``ValueError`` for anything that is not an encoded write.
    """
    write = _rebuild(json.loads(text))
    if not isinstance(write, _WRITE_TYPES):
        raise ValueError(f"not a write: {type(write).__name__}")
    return write
