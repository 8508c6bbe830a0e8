"""Every hot read is served by an index on every SQL engine (issue 5, item 4).

A small history (20k events) is bulk-loaded and compacted (as the maintenance pass leaves a
store: statistics fresh), then each read of the benchmark runs with a few different
arguments while its statements are captured, and the engine's plan of each statement is
read: a full scan of ``events`` or ``telemetry`` fails the test. PostgreSQL plans with its
default settings: 20k analyzed events are enough for it to prefer the indexes wherever they
apply (``enable_seqscan = off`` distorts the plans, see ``benchmarks.plans``), and a query no
index can serve still shows its ``Seq Scan`` (``test_the_check_sees_a_full_scan``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from benchmarks.plans import captured_statements, explain, full_scans
from benchmarks.reads import READS, ReadPools

from immersion.stores.sql.base import SqlStore
from tests.support.loaded import loaded_sql_store

EVENTS = 20_000
DRAWS = 3  # argument sets per read

Loaded = tuple[str, SqlStore, ReadPools]


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    kind: str = request.param
    with ExitStack() as cleanup:
        directory = tmp_path_factory.mktemp("plans")
        store, history = loaded_sql_store(kind, directory, EVENTS, cleanup)
        yield kind, store, ReadPools.of(history)


def _plans_of(kind: str, store: SqlStore, statements: list[tuple[str, object]]) -> list[str]:
    problems = []
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            plan = explain(kind, cursor, statement, parameters)
            for scan in full_scans(kind, plan):
                problems.append(f"{scan}\n    in: {' '.join(statement.split())}")
    finally:
        raw.rollback()
        raw.close()
    return problems


def test_hot_reads_never_scan_events_or_telemetry(loaded: Loaded) -> None:
    kind, store, pools = loaded
    problems: list[str] = []
    for case in READS:
        method = getattr(store, case.method)
        rng = random.Random(case.name)
        for _ in range(DRAWS):
            args, kwargs = case.arguments(rng, pools)
            with captured_statements(store.read_engine) as statements:
                method(*args, **kwargs)
            assert statements, f"{case.name} sent no SELECT: the capture is broken"
            problems += [f"{case.name}: {p}" for p in _plans_of(kind, store, statements)]
    assert not problems, f"full scans on {kind}:\n" + "\n".join(sorted(set(problems)))


def test_the_check_sees_a_full_scan(loaded: Loaded) -> None:
    """The plan reader is not vacuous: an unindexed filter on events is reported."""
    kind, store, _ = loaded
    problems = _plans_of(kind, store, [("SELECT id FROM events WHERE words_delta = 3", None)])
    assert problems, f"no full scan reported on {kind} for an unindexed filter"
