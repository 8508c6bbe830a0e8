"""Runs of rows written straight through the driver's ``executemany``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.dml import Insert, UpdateBase

__all__ = ["DriverBatch"]

# the compiled SQL, and how one row tuple becomes the driver's parameters (None: as it is)
_Prepared = tuple[str, Callable[[tuple[Any, ...]], Any] | None]

# Engines whose rows go straight to the driver's cursor. SQLite runs in process: a statement
# costs microseconds, so SQLAlchemy's execution (~15 us a statement) is a large share of a
# batch, and it has no connection to lose. On a server the round trip dominates, and
# SQLAlchemy's execution also notices a dropped connection and invalidates it in the pool.
_DIRECT = frozenset({"sqlite"})
# Bound parameters per statement of a multi-row insert: SQLite before 3.32 allows 999.
_MAX_PARAMETERS = 999


class DriverBatch:
    """A Core statement compiled once per dialect, run through the driver's executemany.

    Why: for runs of samples and events SQLAlchemy's per-row parameter processing costs more
    than the insert itself. The statement is still written once in Core; these statements
    bind only plain integers and strings (no bind processors), so the compiled SQL and one
    tuple (or dict, for named paramstyles) per row are all a driver needs. A statement that
    does need processing falls back to the ordinary Core path.

    On SQLite an ``INSERT`` of several rows is one multi-row ``INSERT ... VALUES (...),
    (...)`` rather than ``executemany``: the same rows in the same order (a row that conflicts
    with an earlier one of the same statement is skipped, as it would be a moment later), but
    one step of the engine, so the writer gives up the interpreter lock once per statement
    instead of once per row: while a recording thread is busy, each hand-over costs the
    writer a wait.

    Rows are tuples of the values of ``keys``, in that order.
    """

    def __init__(self, statement: UpdateBase, keys: Sequence[str]) -> None:
        self._statement = statement
        self._keys = tuple(keys)
        self._prepared: dict[str, _Prepared | None] = {}
        # rows per statement -> SQL of the multi-row insert (None: not possible), per dialect
        self._multi: dict[tuple[str, int], str | None] = {}
        self._chunk = max(1, _MAX_PARAMETERS // len(self._keys))

    def _multi_row(self, dialect: Dialect, rows: int) -> str | None:
        """The SQL inserting ``rows`` rows at once, bound row after row in ``keys`` order."""
        if not isinstance(self._statement, Insert):
            return None
        template = dict.fromkeys(self._keys)
        compiled = self._statement.values([template] * rows).compile(dialect=dialect)
        expected = [f"{key}_m{row}" for row in range(rows) for key in self._keys]
        if compiled._bind_processors or list(compiled.positiontup or ()) != expected:
            return None
        return compiled.string

    def _prepare(self, dialect: Dialect) -> _Prepared | None:
        compiled = self._statement.compile(dialect=dialect, column_keys=list(self._keys))
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        if compiled._bind_processors or not names or set(names) - set(self._keys):
            return None
        keys = self._keys
        if not compiled.positional:
            return compiled.string, lambda row: dict(zip(keys, row, strict=True))
        if tuple(names) == keys:
            return compiled.string, None
        positions = [keys.index(name) for name in names]
        if len(positions) == 1:
            [position] = positions
            return compiled.string, lambda row: (row[position],)
        return compiled.string, itemgetter(*positions)

    def run(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        dialect = connection.dialect
        if dialect.name not in self._prepared:
            self._prepared[dialect.name] = self._prepare(dialect)
        prepared = self._prepared[dialect.name]
        if prepared is None:
            keys = self._keys
            connection.execute(self._statement, [dict(zip(keys, row, strict=True)) for row in rows])
            return
        sql, convert = prepared
        parameters = rows if convert is None else [convert(row) for row in rows]
        if dialect.name not in _DIRECT:
            connection.exec_driver_sql(sql, parameters)
            return
        if not connection.in_transaction():
            connection.begin()  # as the first Core statement would
        cursor = connection.connection.cursor()
        try:
            if convert is not None or len(rows) == 1:
                cursor.executemany(sql, parameters)
                return
            for start in range(0, len(rows), self._chunk):
                chunk = rows[start : start + self._chunk]
                key = (dialect.name, len(chunk))
                if key not in self._multi:
                    self._multi[key] = self._multi_row(dialect, len(chunk))
                multi = self._multi[key]
                if multi is None:
                    cursor.executemany(sql, chunk)
                else:
                    cursor.execute(multi, list(chain.from_iterable(chunk)))
        finally:
            cursor.close()
