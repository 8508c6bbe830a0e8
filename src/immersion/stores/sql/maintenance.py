"""Maintenance in SQL: closing stale sessions, pruning, persisted maintenance state.

A closed stale session goes into the ledger and lifetime totals like any finalized one
(``rollups.session_ended``), and its rollup groups are recomputed before the commit.

Pruning deletes the telemetry and events of pruned sessions explicitly instead of relying on
``ON DELETE CASCADE``: the counts are then exact on every engine (MySQL reports no cascaded
rows), and it matches the reference model, which counts them under their own kinds.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, func, select, update

from ...domain import SessionStatus
from ...store import PruneCutoffs
from . import rollups
from .hooks import StatementHooks
from .rollups import RollupStatements
from .schema import events, maintenance_state, sessions, telemetry

__all__ = ["close_stale_sessions", "get_state", "prune", "set_state"]

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

# Only ended sessions have an end time: a NULL never compares below the cutoff.
_PRUNABLE_SESSIONS = select(sessions.c.id).where(sessions.c.ended_at_ms < bindparam("p_before"))
_PRUNE = {
    "session_telemetry": delete(telemetry).where(telemetry.c.session_id.in_(_PRUNABLE_SESSIONS)),
    "session_events": delete(events).where(events.c.session_id.in_(_PRUNABLE_SESSIONS)),
    "sessions": delete(sessions).where(sessions.c.ended_at_ms < bindparam("p_before")),
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


def _delete(connection: Connection, kind: str, before: int) -> int:
    return int(connection.execute(_PRUNE[kind], {"p_before": before}).rowcount)


def prune(connection: Connection, cutoffs: PruneCutoffs) -> dict[str, int]:
    """Delete what ``cutoffs`` bound (see ``ImmersionTrackingStore.prune``); rows per kind."""
    deleted = dict.fromkeys(("events", "telemetry", "sessions"), 0)
    if cutoffs.sessions_before_ms is not None:
        before = cutoffs.sessions_before_ms
        deleted["telemetry"] += _delete(connection, "session_telemetry", before)
        deleted["events"] += _delete(connection, "session_events", before)
        deleted["sessions"] += _delete(connection, "sessions", before)
    if cutoffs.telemetry_before_ms is not None:
        deleted["telemetry"] += _delete(connection, "telemetry", cutoffs.telemetry_before_ms)
    if cutoffs.events_before_ms is not None:
        deleted["events"] += _delete(connection, "events", cutoffs.events_before_ms)
    deleted.update(rollups.prune(connection, cutoffs))
    return deleted


def get_state(connection: Connection, key: str) -> str | None:
    value = connection.scalar(_GET_STATE, {"p_key": key})
    return None if value is None else str(value)


def set_state(connection: Connection, hooks: StatementHooks, key: str, value: str) -> None:
    statement = hooks.upsert(maintenance_state, ["key"], lambda incoming: {"value": incoming.value})
    connection.execute(statement, {"key": key, "value": value})
