"""The floor under each read: the same statements through the raw driver, nothing else.

A read's time is the database's and the driver's (executing the statements, handing over the
rows) plus ours (binding, building the result objects, the arithmetic of the analytics). To
tell the two apart on whatever machine a run lands on, each timed call of a read is run once
more with SQLAlchemy's ``before_cursor_execute`` hook recording the exact SQL and parameters
it sends to the driver; those are then replayed on a plain DB-API connection of the same
driver (``Backend.raw_connection``) in autocommit, as the store's reads run (PostgreSQL and
MariaDB: a read pool in autocommit; SQLite: no transaction for a read): execute and
``fetchall``, one cursor per call. No result is built from the rows.

The replay is timed per call, so its p50/p95/p99 sit beside the read's own: where the driver
alone needs more than a target allows (rows the read must return, at this machine's speed),
no store on this driver can meet it; the difference is what our layers cost.
"""

from __future__ import annotations

import random
import time
from contextlib import closing
from typing import Any

from sqlalchemy import event

from immersion.store import ImmersionTrackingStore

from .backends import Backend
from .reads import READS, WARMUP, ReadPools, calls_of
from .timing import summarize

__all__ = ["measure_driver_floor"]

_Statements = list[tuple[str, Any]]


def measure_driver_floor(
    store: ImmersionTrackingStore,
    backend: Backend,
    pools: ReadPools,
    *,
    runs: int = 200,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """``{read name: {runs, p50, p95, p99, mean, max} (ms)}`` of the raw replay of the calls
    ``measure_reads`` times (same seed, same arguments); empty for a store without SQL."""
    engine = getattr(store, "read_engine", None)
    if engine is None:
        return {}
    floors: dict[str, dict[str, float]] = {}
    with closing(backend.raw_connection()) as raw:
        _autocommit(raw)
        for case in READS:
            method = getattr(store, case.method, None)
            if method is None:
                continue
            calls = calls_of(case, method, pools, random.Random(f"{seed}:{case.name}"), runs)
            recorded = [_statements(engine, method, args, kwargs) for args, kwargs in calls]
            samples = [_replay(raw, statements) for statements in recorded]
            floors[case.name] = summarize(samples[WARMUP:], 1e6)
    return floors


def _statements(engine: Any, method: Any, args: Any, kwargs: Any) -> _Statements:
    """What one call sends to the driver."""
    sent: _Statements = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        method(*args, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def _replay(raw: Any, statements: _Statements) -> int:
    """ns to run ``statements`` and fetch their rows on the raw connection."""
    clock = time.perf_counter_ns
    started = clock()
    cursor = raw.cursor()
    for sql, parameters in statements:
        cursor.execute(sql, parameters)
        cursor.fetchall()
    cursor.close()
    return clock() - started


def _autocommit(raw: Any) -> None:
    """Each statement on its own: psycopg's attribute, the MySQL drivers' method (SQLite's
    raw connection is in autocommit already)."""
    setting = getattr(raw, "autocommit", None)
    if callable(setting):
        setting(True)
    elif setting is False:
        raw.autocommit = True
