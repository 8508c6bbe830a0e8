"""Runs of rows written straight through the driver's ``executemany``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.dml import UpdateBase

__all__ = ["DriverBatch"]

# the compiled SQL, and how one row dict becomes the driver's parameters
_Prepared = tuple[str, Callable[[dict[str, Any]], Any]]


class DriverBatch:
    """A Core statement compiled once per dialect, run through the driver's executemany.

    Why: for runs of samples and events SQLAlchemy's per-row parameter processing costs more
    than the insert itself. The statement is still written once in Core; these statements
    bind only plain integers and strings (no bind processors), so the compiled SQL and one
    tuple (or dict, for named paramstyles) per row are all a driver needs. A statement that
    does need processing falls back to the ordinary Core path.
    """

    def __init__(self, statement: UpdateBase, keys: Sequence[str]) -> None:
        self._statement = statement
        self._keys = list(keys)
        self._prepared: dict[str, _Prepared | None] = {}

    def _prepare(self, dialect: Dialect) -> _Prepared | None:
        compiled = self._statement.compile(dialect=dialect, column_keys=self._keys)
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        if compiled._bind_processors or not names or set(names) - set(self._keys):
            return None
        if not compiled.positional:
            return compiled.string, _identity
        if len(names) == 1:
            name = names[0]
            return compiled.string, lambda row: (row[name],)
        return compiled.string, itemgetter(*names)

    def run(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        dialect = connection.dialect
        if dialect.name not in self._prepared:
            self._prepared[dialect.name] = self._prepare(dialect)
        prepared = self._prepared[dialect.name]
        if prepared is None:
            connection.execute(self._statement, rows)
            return
        sql, convert = prepared
        connection.exec_driver_sql(sql, [convert(row) for row in rows])


def _identity(row: dict[str, Any]) -> dict[str, Any]:
    return row
