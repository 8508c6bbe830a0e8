"""Reads of many rows taken straight from the driver's cursor (the read side of ``bulk``).

Why: a read that returns hundreds of rows (rollups, trends, video stats, a session's events)
spends about as long in SQLAlchemy's per-row result handling as in the database. These
statements are still written once in Core and compiled once per dialect, and executed by
SQLAlchemy (transaction, events, error handling); they return only integers and strings,
which need no result processing, so the rows are the driver's own tuples. A statement that
needs processing, or an expanding ``IN``, runs through Core as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Dialect, Select

__all__ = ["DriverQuery"]

_NO_PARAMS: Mapping[str, Any] = {}


class _Prepared:
    """One statement compiled for one dialect: its SQL and how to bind its parameters."""

    __slots__ = ("defaults", "names", "positional", "required", "sql")

    def __init__(
        self,
        sql: str,
        names: list[str],
        positional: bool,
        defaults: dict[str, Any],
        required: frozenset[str],
    ) -> None:
        self.sql = sql
        self.names = names
        self.positional = positional
        self.defaults = defaults
        self.required = required

    def parameters(self, params: Mapping[str, Any]) -> Any:
        missing = self.required - params.keys()
        if missing:
            raise KeyError(f"missing parameters: {', '.join(sorted(missing))}")
        defaults = self.defaults
        values = tuple(params[n] if n in params else defaults[n] for n in self.names)
        return values if self.positional else dict(zip(self.names, values, strict=True))


class DriverQuery:
    """A Core ``SELECT`` whose rows come back as the driver's tuples."""

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self._prepared: dict[str, _Prepared | None] = {}

    def _prepare(self, dialect: Dialect) -> _Prepared | None:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            return None  # rendered per execution (an expanding IN)
        if compiled._bind_processors:
            return None
        for column in compiled._result_columns:
            if column.type._cached_result_processor(dialect, None) is not None:
                return None
        if compiled.positional:
            names = list(compiled.positiontup or ())
        else:
            names = list(dict.fromkeys(compiled.bind_names.values()))
        binds = {compiled.bind_names[b]: b for b in compiled.binds.values()}
        required = frozenset(n for n in names if binds[n].required)
        defaults = {n: binds[n].effective_value for n in names if n not in required}
        return _Prepared(compiled.string, names, compiled.positional, defaults, required)

    def rows(
        self, connection: Connection, params: Mapping[str, Any] = _NO_PARAMS
    ) -> list[tuple[Any, ...]]:
        """Every row, in the statement's order, inside the connection's transaction."""
        dialect = connection.dialect
        if dialect.name not in self._prepared:
            self._prepared[dialect.name] = self._prepare(dialect)
        prepared = self._prepared[dialect.name]
        if prepared is None:
            return [tuple(row) for row in connection.execute(self.statement, params)]
        # Through SQLAlchemy's execution (transaction, events, error handling), but the rows
        # are read from the driver's cursor.
        result = connection.exec_driver_sql(prepared.sql, prepared.parameters(params))
        try:
            return list(result.cursor.fetchall())
        finally:
            result.close()
