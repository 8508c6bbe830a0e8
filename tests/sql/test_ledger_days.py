"""``ledger_days`` (revision 0003) always equals the ledger summed per day, on every SQL
engine: after finalizes (a replayed finalize with other counters included), stale sessions
closed by maintenance, pruning, and ledger records loaded from another store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from immersion.analytics import LEDGER_COUNTERS
from immersion.domain import day_number
from immersion.store import ImmersionTrackingStore, PruneCutoffs
from immersion.stores.sql.base import SqlStore
from immersion.stores.sql.schema import ledger_days, session_totals
from tests.contract.builders import (
    DAY,
    EP1,
    EP2,
    HOUR,
    MINUTE,
    T0,
    finalize,
    make_video,
    sample,
    start,
    write,
)
from tests.support.stores import open_store

SQL_KINDS = ["sqlite", "postgresql", "mysql"]
_SUMMED = ("sessions", *LEDGER_COUNTERS)
_KEYS = ("local_day", "local_month", "local_weekday")


@pytest.fixture(params=SQL_KINDS)
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    with open_store(request.param, tmp_path) as opened:
        assert isinstance(opened, SqlStore)
        yield opened


def _days(store: SqlStore) -> list[tuple[int, ...]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(*(ledger_days.c[name] for name in (*_KEYS, *_SUMMED))).order_by(
                ledger_days.c.local_day
            )
        )
        return [tuple(int(value) for value in row) for row in rows]


def _ledger_by_day(store: SqlStore) -> list[tuple[int, ...]]:
    keys = [session_totals.c[name] for name in _KEYS]
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                *keys,
                sa.func.count(),
                *(sa.func.sum(session_totals.c[name]) for name in LEDGER_COUNTERS),
            )
            .group_by(*keys)
            .order_by(session_totals.c.local_day)
        )
        return [tuple(int(value) for value in row) for row in rows]


def _assert_exact(store: SqlStore) -> list[tuple[int, ...]]:
    days = _days(store)
    assert days == _ledger_by_day(store)
    return days


def _history(store: ImmersionTrackingStore) -> None:
    """Three days: two sessions on the first (two videos), one on the second, one on the
    fourth; one session left active."""
    writes: list[Any] = [make_video(EP1), make_video(EP2)]
    plan = [("a", EP1, 0), ("b", EP2, 0), ("c", EP1, 1), ("d", EP2, 3)]
    for n, (uuid, key, day) in enumerate(plan):
        begin = T0 + day * DAY + (n + 1) * HOUR
        writes += [
            start(uuid, key, begin),
            finalize(
                uuid,
                begin + 20 * MINUTE,
                active_watched_ms=(n + 1) * MINUTE,
                total_watched_ms=(n + 2) * MINUTE,
                lines_seen=10 * (n + 1),
                words_seen=7 * (n + 1),
                cards_mined=n,
            ),
        ]
    writes.append(start("live", EP1, T0 + 4 * DAY))
    write(store, *writes)


def test_finalizes_add_up_per_day(sql_store: SqlStore) -> None:
    _history(sql_store)
    days = _assert_exact(sql_store)
    assert [(day[0], day[3]) for day in days] == [
        (day_number(dt.date(2026, 1, 1)), 2),
        (day_number(dt.date(2026, 1, 2)), 1),
        (day_number(dt.date(2026, 1, 4)), 1),
    ]


def test_a_replayed_finalize_with_other_counters_replaces_the_entry(sql_store: SqlStore) -> None:
    _history(sql_store)
    before = _days(sql_store)
    write(sql_store, finalize("b", T0 + 3 * HOUR, active_watched_ms=30 * MINUTE, lines_seen=3))
    after = _assert_exact(sql_store)
    assert after[0][3] == before[0][3] == 2  # still two sessions that day
    assert after[0][5] == before[0][5] - 2 * MINUTE + 30 * MINUTE  # active_watched_ms
    write(sql_store, finalize("b", T0 + 3 * HOUR, active_watched_ms=30 * MINUTE, lines_seen=3))
    assert _assert_exact(sql_store) == after  # replayed as it is: counted once


def test_stale_sessions_closed_by_maintenance_are_counted(sql_store: SqlStore) -> None:
    _history(sql_store)
    write(sql_store, sample("live", 1, T0 + 4 * DAY + MINUTE, active_watched_ms=MINUTE))
    assert sql_store.close_stale_sessions(T0 + 5 * DAY) == 1
    assert len(_assert_exact(sql_store)) == 4


def test_pruning_the_ledger_drops_its_days(sql_store: SqlStore) -> None:
    _history(sql_store)
    cut = PruneCutoffs(None, None, None, dt.date(2026, 1, 3), 202602)
    assert sql_store.prune(cut)["session_totals"] == 3
    days = _assert_exact(sql_store)
    assert [day[0] for day in days] == [day_number(dt.date(2026, 1, 4))]


def test_loaded_ledger_records_are_summed_once(sql_store: SqlStore, tmp_path: Path) -> None:
    """The ledger of one store loaded into another (twice: the second load skips every
    record) gives the same days, although the target's sessions never ended there."""
    with open_store("sqlite", tmp_path / "source") as source:
        assert isinstance(source, SqlStore)
        _history(source)
        expected = _days(source)
        kinds = ("videos", "ledger")
        batches = {
            kind: [r for batch in source.iter_records(kind) for r in batch] for kind in kinds
        }
    for _ in range(2):
        for kind in kinds:
            sql_store.load_records(kind, batches[kind])
        assert _assert_exact(sql_store) == expected
