"""The statement hooks a SQL backend supplies (implemented by ``SqlStore`` subclasses).

Kept apart from ``base`` so the query modules can name them without importing the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["StatementHooks", "UpdateBuilder"]

# Builds the SET clause of an upsert from the incoming row's columns (``incoming.title``).
UpdateBuilder = Callable[[Any], Mapping[str, ColumnElement[Any]]]


class StatementHooks(Protocol):
    def insert_ignore(self, table: Table, conflict_columns: Sequence[str]) -> Insert:
        """``INSERT`` into ``table`` that skips rows whose ``conflict_columns`` exist."""
        ...

    def upsert(
        self, table: Table, conflict_columns: Sequence[str], updates: UpdateBuilder
    ) -> Insert:
        """``INSERT`` into ``table``, updating the existing row with ``updates(incoming)``."""
        ...
