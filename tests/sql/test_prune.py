"""Pruning on the SQL engines: sessions are deleted by a list of their ids, a round of a few
hundred at a time, and every delete is served by an index (see ``sql.maintenance``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from benchmarks.plans import explain, full_scans

from immersion.store import ImmersionTrackingStore
from immersion.stores.sql import maintenance
from immersion.stores.sql.base import SqlStore
from immersion.stores.sql.schema import sessions
from tests.contract.builders import (
    DAY,
    EP1,
    MINUTE,
    T0,
    cutoffs,
    event,
    finalize,
    make_video,
    sample,
    start,
    write,
)
from tests.support.loaded import loaded_sql_store
from tests.support.stores import open_store

SQL_KINDS = ["sqlite", "postgresql", "mysql"]
# A history large enough that the engines plan with real costs, as the read plans test does.
EVENTS = 20_000


@pytest.fixture(params=SQL_KINDS)
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImmersionTrackingStore]:
    with open_store(request.param, tmp_path) as opened:
        yield opened


def test_prune_takes_sessions_in_rounds(
    sql_store: ImmersionTrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five old sessions in rounds of two: every session, sample and event counted once; the
    recent session and the active one stay."""
    monkeypatch.setattr(maintenance, "PRUNE_SESSIONS_PER_ROUND", 2)
    writes: list[Any] = [make_video(EP1)]
    for n in range(5):
        begin = T0 - (50 - n) * DAY
        uuid = f"old{n}"
        writes += [
            start(uuid, EP1, begin),
            sample(uuid, 1, begin + MINUTE, lines_seen=1),
            event(uuid, 1, begin + MINUTE),
            event(uuid, 2, begin + 2 * MINUTE),
            finalize(uuid, begin + 3 * MINUTE, lines_seen=1),
        ]
    writes += [
        start("recent", EP1, T0 - DAY),
        event("recent", 1, T0 - DAY + MINUTE),
        finalize("recent", T0 - DAY + 2 * MINUTE),
        start("live", EP1, T0 - 60 * DAY),
        sample("live", 1, T0 - 60 * DAY + MINUTE, lines_seen=3),
    ]
    write(sql_store, *writes)
    result = sql_store.prune(cutoffs(sessions=T0 - 30 * DAY))
    assert (result["sessions"], result["telemetry"], result["events"]) == (5, 5, 10)
    assert sorted(s.session_uuid for s in sql_store.session_summaries()) == ["live", "recent"]
    assert [e.seq for e in sql_store.session_events("recent")] == [1]
    assert [s.seq for s in sql_store.session_timeline("live")] == [1]
    assert sql_store.prune(cutoffs(sessions=T0 - 30 * DAY))["sessions"] == 0


@pytest.fixture(scope="module", params=SQL_KINDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, SqlStore]]:
    kind: str = request.param
    with ExitStack() as cleanup:
        store, _ = loaded_sql_store(kind, tmp_path_factory.mktemp("prune"), EVENTS, cleanup)
        yield kind, store


def test_pruning_the_oldest_session_never_scans_events_or_telemetry(
    loaded: tuple[str, SqlStore],
) -> None:
    """The oldest session (about a tenth of the rows) pruned by every window: each statement
    of the prune uses an index. On MariaDB before 11.1 ``session_id IN (SELECT ...)`` in a
    DELETE read every row of the table, whatever the share pruned."""
    kind, store = loaded
    with store.engine.connect() as connection:
        first_end = connection.scalar(sa.select(sa.func.min(sessions.c.ended_at_ms)))
    bound = int(first_end) + 1
    statements: list[tuple[str, Any]] = []

    def record(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        statements.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        result = store.prune(cutoffs(events=bound, telemetry=bound, sessions=bound))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    assert result["sessions"] == 1
    assert result["events"] > 0 and result["telemetry"] > 0
    deletes = [(s, p) for s, p in statements if s.lstrip().upper().startswith("DELETE")]
    assert len(deletes) >= 5
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        problems = [
            f"{scan} in {' '.join(statement.split())}"
            for statement, parameters in deletes
            for scan in full_scans(kind, explain(kind, cursor, statement, parameters))
        ]
    finally:
        raw.rollback()
        raw.close()
    assert problems == []
