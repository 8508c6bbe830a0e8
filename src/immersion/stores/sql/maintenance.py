"""Maintenance in SQL: closing stale sessions, pruning, persisted maintenance state.

A closed stale session goes into the ledger and lifetime totals like any finalized one
(``rollups.session_ended``), and its rollup groups are recomputed before the commit.

Pruning deletes the telemetry and events of pruned sessions explicitly instead of relying on
``ON DELETE CASCADE``: the counts are then exact on every engine (MySQL reports no cascaded
rows), and it matches the reference model, which counts them under their own kinds. It first
reads the ids of the sessions to prune and deletes by that list, a few hundred ids per
statement: MariaDB before 11.1 (MDEV-7487) runs ``DELETE ... WHERE session_id IN (SELECT
...)`` as a dependent subquery for every row of the table, a full scan of ``events`` and
``telemetry`` (2 s at 1M events, even when nothing is pruned), where a list of ids uses the
``session_id`` index on every engine.
"""

from __future__ import annotations

from sqlalchemy import BindParameter, Connection, bindparam, delete, func, select, update

from ...domain import SessionStatus
from ...store import PruneCutoffs
from . import rollups
from .hooks import StatementHooks
from .rollups import RollupStatements
from .schema import events, maintenance_state, sessions, telemetry

__all__ = ["PRUNE_SESSIONS_PER_ROUND", "close_stale_sessions", "get_state", "prune", "set_state"]

_LAST_ACTIVITY = func.coalesce(sessions.c.last_sample_ms, sessions.c.started_at_ms)

_STALE = select(sessions.c.id).where(
    sessions.c.status == int(SessionStatus.ACTIVE),
    bindparam("p_before") > _LAST_ACTIVITY,
)
_CLOSE = (
    update(sessions)
    .where(
        sessions.c.id.in_(bindparam("p_ids", expanding=True)),
        sessions.c.status == int(SessionStatus.ACTIVE),
    )
    .values(
        status=int(SessionStatus.ENDED),
        ended_at_ms=_LAST_ACTIVITY,
        updated_at_ms=_LAST_ACTIVITY,
    )
)

# Sessions pruned per round of deletes: each id is one bound parameter, far below every
# engine's limit (SQLite's is 32,766).
PRUNE_SESSIONS_PER_ROUND = 500

# Only ended sessions have an end time: a NULL never compares below the cutoff.
_PRUNABLE_SESSIONS = select(sessions.c.id).where(sessions.c.ended_at_ms < bindparam("p_before"))
_SESSION_IDS: BindParameter[int] = bindparam("p_ids", expanding=True)
# A list of ids, not the subquery itself (see the module docstring); children first.
_PRUNE_SESSIONS = (
    ("telemetry", delete(telemetry).where(telemetry.c.session_id.in_(_SESSION_IDS))),
    ("events", delete(events).where(events.c.session_id.in_(_SESSION_IDS))),
    ("sessions", delete(sessions).where(sessions.c.id.in_(_SESSION_IDS))),
)
_PRUNE_BEFORE = {
    "telemetry": delete(telemetry).where(telemetry.c.sample_ms < bindparam("p_before")),
    "events": delete(events).where(events.c.ts_ms < bindparam("p_before")),
}

_GET_STATE = select(maintenance_state.c.value).where(maintenance_state.c.key == bindparam("p_key"))


def close_stale_sessions(
    connection: Connection, statements: RollupStatements, last_activity_before_ms: int
) -> int:
    """End active sessions idle since before the bound, at their last activity, and record
    them in the ledger like any finalized session."""
    ids = [int(i) for i in connection.scalars(_STALE, {"p_before": last_activity_before_ms})]
    if not ids:
        return 0
    connection.execute(_CLOSE, {"p_ids": ids})
    for session_id in ids:
        rollups.session_ended(connection, statements, session_id)
    rollups.recompute_dirty(connection)
    return len(ids)


def _prune_sessions(connection: Connection, before: int, deleted: dict[str, int]) -> None:
    """Delete the sessions ended before ``before`` with their telemetry and events."""
    ids = [int(i) for i in connection.scalars(_PRUNABLE_SESSIONS, {"p_before": before})]
    for start in range(0, len(ids), PRUNE_SESSIONS_PER_ROUND):
        chunk = ids[start : start + PRUNE_SESSIONS_PER_ROUND]
        for kind, statement in _PRUNE_SESSIONS:
            deleted[kind] += int(connection.execute(statement, {"p_ids": chunk}).rowcount)


def _delete_before(connection: Connection, kind: str, before: int) -> int:
    return int(connection.execute(_PRUNE_BEFORE[kind], {"p_before": before}).rowcount)


def prune(connection: Connection, cutoffs: PruneCutoffs) -> dict[str, int]:
    """Delete what ``cutoffs`` bound (see ``ImmersionTrackingStore.prune``); rows per kind."""
    deleted = dict.fromkeys(("events", "telemetry", "sessions"), 0)
    if cutoffs.sessions_before_ms is not None:
        _prune_sessions(connection, cutoffs.sessions_before_ms, deleted)
    if cutoffs.telemetry_before_ms is not None:
        deleted["telemetry"] += _delete_before(connection, "telemetry", cutoffs.telemetry_before_ms)
    if cutoffs.events_before_ms is not None:
        deleted["events"] += _delete_before(connection, "events", cutoffs.events_before_ms)
    deleted.update(rollups.prune(connection, cutoffs))
    return deleted


def get_state(connection: Connection, key: str) -> str | None:
    value = connection.scalar(_GET_STATE, {"p_key": key})
    return None if value is None else str(value)


def set_state(connection: Connection, hooks: StatementHooks, key: str, value: str) -> None:
    statement = hooks.upsert(maintenance_state, ["key"], lambda incoming: {"value": incoming.value})
    connection.execute(statement, {"key": key, "value": value})
