"""Query plans of the reads: which statements a read runs, and whether any scans a big table.

``captured_statements`` records every statement a SQL store sends while a read runs (through
SQLAlchemy's ``before_cursor_execute`` event, so it sees exactly the SQL and parameters the
driver gets). ``full_scans`` asks the engine for that statement's plan with the same
parameters and returns each step that reads all of ``events`` or ``telemetry``:

- SQLite, ``EXPLAIN QUERY PLAN``: a ``SCAN`` of the table (with or without an index: a
  ``SCAN ... USING INDEX`` still visits every row); a ``SEARCH`` is fine.
- PostgreSQL, ``EXPLAIN (FORMAT JSON)``: a ``Seq Scan`` of the table, or an index scan
  without an ``Index Cond`` (which walks the whole index). The planner runs with its default
  settings on analyzed tables, so the caller must load enough rows that an index is worth
  using (the plan test loads 20k events). ``enable_seqscan = off`` is deliberately not used:
  it penalizes the harmless sequential scan of a tiny ``sessions`` table so much that the
  planner walks a whole ``events`` index instead, a plan it never picks with real costs.
- MariaDB/MySQL, ``EXPLAIN``: access type ``ALL`` (table scan) or ``index`` (full index scan).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

__all__ = ["BIG_TABLES", "captured_statements", "explain", "full_scans"]

BIG_TABLES = frozenset({"events", "telemetry"})
Statement = tuple[str, Any]


@contextmanager
def captured_statements(engine: sa.Engine) -> Iterator[list[Statement]]:
    """Every ``SELECT`` (or ``WITH``) sent through ``engine`` inside the block."""
    seen: list[Statement] = []

    def record(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not many:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def explain(kind: str, cursor: Any, statement: str, parameters: Any) -> list[Any]:
    """The engine's plan of ``statement``: SQLite rows, the PostgreSQL JSON plan as a
    one-item list, or MySQL rows as dicts."""
    if kind == "sqlite":
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters or ())
        return list(cursor.fetchall())
    if kind == "postgresql":
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = cursor.fetchone()[0]
        return [json.loads(plan) if isinstance(plan, str) else plan]
    cursor.execute(f"EXPLAIN {statement}", parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def full_scans(kind: str, plan: list[Any]) -> list[str]:
    """The steps of ``plan`` (from ``explain``) that read all of a big table."""
    finder: Callable[[list[Any]], list[str]] = {
        "sqlite": _sqlite_scans,
        "postgresql": _postgresql_scans,
        "mysql": _mysql_scans,
    }[kind]
    return finder(plan)


def _sqlite_scans(rows: list[Any]) -> list[str]:
    found = []
    for row in rows:
        detail = str(row[-1])
        words = detail.split()
        if len(words) >= 2 and words[0] == "SCAN" and words[1] in BIG_TABLES:
            found.append(detail)
    return found


def _postgresql_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _postgresql_nodes(child)


def _postgresql_scans(plans: list[Any]) -> list[str]:
    found = []
    for document in plans:
        for entry in document:
            for node in _postgresql_nodes(entry["Plan"]):
                relation = node.get("Relation Name")
                if relation not in BIG_TABLES:
                    continue
                kind = node["Node Type"]
                if kind == "Seq Scan" or (
                    kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
                ):
                    found.append(f"{kind} on {relation} ({node.get('Index Name', 'no index')})")
    return found


def _mysql_scans(rows: list[Any]) -> list[str]:
    return [
        f"{row['type']} access of {row['table']} (key {row.get('key')})"
        for row in rows
        if row.get("table") in BIG_TABLES and row.get("type") in ("ALL", "index")
    ]
