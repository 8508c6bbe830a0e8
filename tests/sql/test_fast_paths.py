"""The shortcuts of the hot paths give exactly what the general paths give.

- ``validation``: events and samples, checked without the general ``match`` and with fast
  paths for plain values, are accepted exactly when the documented rules accept them, and an
  unchanged write is returned as it is;
- ``sql.fetch.DriverQuery``: driver tuples equal SQLAlchemy's rows, statements it cannot run
  directly (an expanding ``IN``) go through Core, missing parameters are refused;
- ``sql.bulk.DriverBatch``: a multi-row insert keeps the first of two rows with the same key,
  and long runs are split into statements SQLite accepts.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import bindparam, func, select

from immersion.domain import EventType, SessionCounters, SourceType, TelemetrySample, TrackedEvent
from immersion.domain import Video as DomainVideo
from immersion.errors import StoreIntegrityError
from immersion.stores.sql.fetch import DriverQuery
from immersion.stores.sql.schema import events, videos
from immersion.stores.sqlite import SqliteStore
from immersion.stores.validation import MAX_STORED_INT, validate_write
from immersion.writes import RecordEvent, RecordSample, StartSession, UpsertVideo

UUID = "12345678-1234-1234-1234-123456789012"
KEY = "local:/videos/episode.mkv"


class _Int(int):
    """An int subclass: valid, but not the plain type."""


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), 1.0, math.nan, "1", _Int(5)]),
)
_TEXTS = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["", "a\x00b", "bad \udcff", "日本語", UUID, "u" * 37, b"bytes"]),
)


def _int(value: Any, optional: bool = False) -> bool:
    if value is None:
        return optional
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STORED_INT


def _text(value: Any, optional: bool = False) -> bool:
    if value is None:
        return optional
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _uuid(value: Any) -> bool:
    return _text(value) and 0 < len(value) <= 36


def _outcome(write: Any) -> Any:
    try:
        return validate_write(write)
    except StoreIntegrityError:
        return None


@given(
    uuid=_TEXTS,
    seq=_VALUES,
    ts=_VALUES,
    kind=st.sampled_from([EventType.SUBTITLE_LINE, 1, 42, _Int(1), None]),
    optional=st.tuples(_VALUES, _VALUES, _VALUES),
    deltas=st.tuples(_VALUES, _VALUES),
    payload=_TEXTS,
)
def test_events_are_accepted_exactly_by_the_rules(
    uuid: Any, seq: Any, ts: Any, kind: Any, optional: Any, deltas: Any, payload: Any
) -> None:
    event = TrackedEvent(uuid, seq, ts, kind, *optional, *deltas, payload)
    write = RecordEvent(event)
    valid = (
        _uuid(uuid)
        and _int(seq)
        and _int(ts)
        and kind in (1, EventType.SUBTITLE_LINE)
        and all(_int(value, optional=True) for value in optional)
        and all(_int(value) for value in deltas)
        and _text(payload, optional=True)
    )
    checked = _outcome(write)
    assert (checked is not None) == valid
    if checked is not None:
        assert checked == RecordEvent(
            TrackedEvent(uuid, seq, ts, EventType(kind), *optional, *deltas, payload)
        )
        if type(kind) is EventType:
            assert checked is write


@given(uuid=_TEXTS, seq=_VALUES, ms=_VALUES, counters=st.lists(_VALUES, min_size=14, max_size=14))
def test_samples_are_accepted_exactly_by_the_rules(
    uuid: Any, seq: Any, ms: Any, counters: list[Any]
) -> None:
    write = RecordSample(TelemetrySample(uuid, seq, ms, SessionCounters(*counters)))
    valid = _uuid(uuid) and _int(seq) and _int(ms) and all(_int(value) for value in counters)
    checked = _outcome(write)
    assert (checked is not None) == valid
    assert checked is None or checked is write


# ----------------------------------------------------------------- the driver paths


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "fast.sqlite")
    store.create_or_upgrade_schema()
    video = DomainVideo(KEY, "episode", SourceType.LOCAL, created_at_ms=1, updated_at_ms=1)
    store.write_batch(
        [UpsertVideo(video), StartSession(UUID, KEY, 1_000, dt.date(2026, 3, 1), 202603, 9)]
    )
    return store


def _event(seq: int, words: int) -> RecordEvent:
    return RecordEvent(
        TrackedEvent(UUID, seq, 1_000 + seq, EventType.SUBTITLE_LINE, seq, 0, 1, words)
    )


def test_a_multi_row_insert_keeps_the_first_of_equal_keys(store: SqliteStore) -> None:
    store.write_batch([_event(1, 5), _event(2, 6), _event(1, 7), _event(3, 8), _event(2, 9)])
    stored = store.session_events(UUID)
    assert [(e.seq, e.words_delta) for e in stored] == [(1, 5), (2, 6), (3, 8)]
    store.close()


def test_long_runs_are_split_into_statements_the_engine_accepts(store: SqliteStore) -> None:
    store.write_batch([_event(seq, seq % 7) for seq in range(1, 1_001)])
    stored = store.session_events(UUID, limit=2_000)
    assert [(e.seq, e.words_delta) for e in stored] == [(s, s % 7) for s in range(1, 1_001)]
    store.close()


def test_driver_rows_equal_sqlalchemy_rows(store: SqliteStore) -> None:
    store.write_batch([_event(seq, seq) for seq in range(1, 30)])
    statement = (
        select(events.c.seq, events.c.payload_json, func.coalesce(events.c.line_index, 0))
        .where(events.c.seq >= bindparam("p_from"))
        .order_by(events.c.seq)
        .limit(bindparam("p_limit"))
    )
    query = DriverQuery(statement)
    with store.engine.connect() as connection:
        rows = query.rows(connection, {"p_from": 3, "p_limit": 10})
        expected = [tuple(r) for r in connection.execute(statement, {"p_from": 3, "p_limit": 10})]
        assert rows == expected and len(rows) == 10
        assert all(type(row) is tuple for row in rows)
        with pytest.raises(KeyError, match="p_limit"):
            query.rows(connection, {"p_from": 3})
    store.close()


def test_an_expanding_in_runs_through_core(store: SqliteStore) -> None:
    statement = select(videos.c.video_key).where(
        videos.c.video_key.in_(bindparam("p_keys", expanding=True))
    )
    query = DriverQuery(statement)
    with store.engine.connect() as connection:
        assert query.rows(connection, {"p_keys": [KEY, "other"]}) == [(KEY,)]
        assert query.rows(connection, {"p_keys": ["other"]}) == []
    store.close()
