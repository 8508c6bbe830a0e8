"""Value checks of portable records (``immersion.records``), shared by every store so all
refuse exactly the same: the rules of ``write_batch`` (``validation``) for what the tracker
writes, and for derived records non-negative integers, ``YYYYMM`` months and a ledger entry
counting one session. Whether named videos and sessions exist is each store's business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import NoReturn, cast

from ..analytics import PERIOD_FIELDS, PeriodTotals
from ..domain import (
    Session,
    SessionStatus,
    TelemetrySample,
    TrackedEvent,
    Video,
)
from ..errors import StoreIntegrityError
from ..records import (
    MAX_STATE_KEY_CHARS,
    ActivityRecord,
    LifetimeRecord,
    Record,
    RecordKind,
    RollupRecord,
    SessionRecord,
    StateRecord,
    record_type,
)
from ..writes import FinalizeSession, RecordEvent, RecordSample, StartSession, UpsertVideo
from .ledger import DayActivity, LedgerEntry, LifetimeTotals
from .validation import MAX_KEY_CHARS, MAX_STORED_INT, plain_event, plain_sample, validate_write

__all__ = ["check_records"]


def _fail(message: str) -> NoReturn:
    raise StoreIntegrityError(message)


def _int(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_STORED_INT:
        _fail(f"{name} must be an integer from 0 to 2**63-1, got {value!r:.40}")


def _key(name: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not value:
        _fail(f"{name} must be a non-empty string")
    if len(value) > limit:
        _fail(f"{name} is longer than {limit} characters")
    _clean(name, value)


def _clean(name: str, value: str) -> None:
    if "\x00" in value:
        _fail(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _fail(f"{name} is not valid Unicode (lone surrogate)")


def _month(name: str, value: object) -> None:
    if not (isinstance(value, int) and 1 <= value // 100 <= 9999 and 1 <= value % 100 <= 12):
        _fail(f"{name} must be a YYYYMM month, got {value!r:.40}")


def _day(name: str, value: object) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        _fail(f"{name} must be a date")


def _totals(totals: object) -> None:
    if not isinstance(totals, PeriodTotals):
        _fail("totals must be PeriodTotals")
    for name in PERIOD_FIELDS:
        _int(name, getattr(totals, name))


def _session(record: SessionRecord) -> SessionRecord:
    session = record.session
    if not isinstance(session, Session):
        _fail("session must be a Session")
    validate_write(
        StartSession(
            session.session_uuid,
            session.video_key,
            session.started_at_ms,
            session.local_day,
            session.local_month,
            session.local_hour,
        )
    )
    try:
        status = SessionStatus(session.status)
    except ValueError:
        _fail(f"unknown session status {session.status!r:.20}")
    if (status is SessionStatus.ENDED) != (session.ended_at_ms is not None):
        _fail("ended_at_ms must be set exactly when the session has ended")
    validate_write(
        FinalizeSession(
            session.session_uuid,
            session.ended_at_ms or 0,
            session.counters,
            session.ended_media_ms,
            session.last_sample_ms,
        )
    )
    _int("live_seq", record.live_seq, optional=True)
    if status is session.status:
        return record
    return replace(record, session=replace(session, status=status))


def _ledger(entry: LedgerEntry) -> LedgerEntry:
    _key("session_uuid", entry.session_uuid, MAX_KEY_CHARS["session_uuid"])
    _key("video_key", entry.video_key, MAX_KEY_CHARS["video_key"])
    _int("started_at_ms", entry.started_at_ms)
    _int("ended_at_ms", entry.ended_at_ms)
    _day("local_day", entry.local_day)
    _month("local_month", entry.local_month)
    if not (isinstance(entry.local_hour, int) and 0 <= entry.local_hour <= 23):
        _fail(f"local_hour must be 0-23, got {entry.local_hour!r:.20}")
    _totals(entry.totals)
    if entry.totals.sessions != 1:
        _fail("a ledger entry counts exactly one session (totals.sessions = 1)")
    if not isinstance(entry.lifetime_applied, bool):
        _fail("lifetime_applied must be true or false")
    return entry


def _lifetime(kind: RecordKind, record: LifetimeRecord) -> LifetimeRecord:
    if kind == "lifetime_global":
        if record.video_key is not None:
            _fail("the global lifetime record has no video_key")
    else:
        _key("video_key", record.video_key, MAX_KEY_CHARS["video_key"])
    totals = record.totals
    if not isinstance(totals, LifetimeTotals):
        _fail("totals must be LifetimeTotals")
    _totals(totals.totals)
    _int("active_days", totals.active_days)
    for name in ("first_watched_ms", "last_watched_ms", "last_started_ms"):
        _int(name, getattr(totals, name), optional=True)
    if kind == "lifetime_videos" and totals.last_started_ms is not None:
        _fail("last_started_ms is kept only in the global lifetime record")
    return record


def _fast_ok(record: Record) -> bool:
    """Whether a sample or an event is certainly valid, checked without building writes
    (they are the bulk of every transfer); ``False`` means: take the thorough path."""
    if type(record) is TrackedEvent:
        return plain_event(record)
    if type(record) is TelemetrySample:
        return plain_sample(record)
    return False


def _check(kind: RecordKind, record: Record) -> Record:
    expected = record_type(kind)
    if type(record) is expected and _fast_ok(record):
        return record
    if type(record) is not expected:
        _fail(f"a {kind} record must be a {expected.__name__}, not {type(record).__name__}")
    match record:
        case Video():
            return cast(UpsertVideo, validate_write(UpsertVideo(record))).video
        case SessionRecord():
            return _session(record)
        case TelemetrySample():
            validate_write(RecordSample(record))
            return record
        case TrackedEvent():
            return cast(RecordEvent, validate_write(RecordEvent(record))).event
        case LedgerEntry():
            return _ledger(record)
        case RollupRecord():
            if kind == "daily_rollups":
                _int("period", record.period)
            else:
                _month("period", record.period)
            _key("video_key", record.video_key, MAX_KEY_CHARS["video_key"])
            _totals(record.totals)
            return record
        case LifetimeRecord():
            return _lifetime(kind, record)
        case ActivityRecord():
            _day("local_day", record.local_day)
            for field in fields(DayActivity):
                _int(field.name, getattr(record.activity, field.name))
            return record
        case StateRecord():
            _key("key", record.key, MAX_STATE_KEY_CHARS)
            if not isinstance(record.value, str):
                _fail("value must be a string")
            _clean("value", record.value)
            return record
    raise AssertionError("unreachable")  # pragma: no cover


def check_records(kind: RecordKind, records: Sequence[Record]) -> list[Record]:
    """Validate every record of a ``load_records`` call; return them with enums normalised.

    Raises ``StoreIntegrityError`` naming the first invalid record (its index and natural
    key when it has one); the value rules are those of ``write_batch`` plus, for derived
    records, non-negative integers, ``YYYYMM`` months and a ledger entry counting one session.
    """
    checked: list[Record] = []
    for index, record in enumerate(records):
        try:
            checked.append(_check(kind, record))
        except StoreIntegrityError as exc:
            raise StoreIntegrityError(f"{kind} record {index}: {exc}") from None
    return checked
