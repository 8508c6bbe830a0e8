"""The ledger, rollups, lifetime totals and day activity in SQL (revision 0002).

The rules are those of ``immersion.stores.ledger`` (shared with ``MemoryStore``); this module
only reads and writes the rows, in the caller's transaction:

- ``session_ended``: after a session is finalized (``write_batch``) or closed as stale, write
  its ledger row, mark its day and month groups dirty and add it to ``lifetime_videos``,
  ``lifetime_global`` and ``activity_days`` through upserts that add (``col = col + new``), so
  concurrent writers never lose an update;
- ``recompute_dirty``: for every dirty group, delete its rollup row and insert the aggregate
  of its ledger rows: three statements per rollup table, whatever the number of groups
  (``EXISTS`` against ``rollup_dirty``, which every engine supports in ``DELETE`` and
  ``INSERT ... SELECT``);
- ``apply_pending``: ledger rows not yet in the lifetime totals (copied by the 0002 upgrade);
- ``prune``: rollups and ledger rows outside the retention windows.

Every change of the ledger also keeps ``ledger_days`` (see ``ledger_days``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from ...analytics import LEDGER_COUNTERS, PeriodTotals
from ...domain import SessionCounters, day_from_number, day_number
from ...store import PruneCutoffs
from ..ledger import DAY_KIND, MONTH_KIND, LedgerEntry, lifetime_change
from . import ledger_days
from .hooks import StatementHooks, UpdateBuilder
from .schema import (
    activity_days,
    daily_rollups,
    lifetime_global,
    lifetime_videos,
    monthly_rollups,
    rollup_dirty,
    session_totals,
    sessions,
    videos,
)
from .schema import ledger_days as ledger_days_table

__all__ = ["RollupStatements", "apply_pending", "prune", "recompute_dirty", "session_ended"]

GLOBAL_ID = 1
_SUMMED = ("sessions", *LEDGER_COUNTERS)
_ACTIVITY = ("sessions", "active_watched_ms", "cards_mined", "words_seen")
_ENTRY_COLUMNS = (
    "session_uuid",
    "started_at_ms",
    "ended_at_ms",
    "local_day",
    "local_month",
    "local_hour",
    *LEDGER_COUNTERS,
)


def _adding(
    table: Table, summed: tuple[str, ...], lowest: tuple[str, ...], highest: tuple[str, ...]
) -> UpdateBuilder:
    """The SET clause of an upsert that adds the incoming values to the stored ones, and
    keeps the lowest / highest of the ``lowest`` / ``highest`` columns (NULL: none yet).
    Written with ``CASE`` because SQLite has no ``LEAST``/``GREATEST``."""

    def build(incoming: Any) -> dict[str, ColumnElement[Any]]:
        clause: dict[str, ColumnElement[Any]] = {
            name: table.c[name] + getattr(incoming, name) for name in summed
        }
        for names, beyond in ((lowest, True), (highest, False)):
            for name in names:
                stored, new = table.c[name], getattr(incoming, name)
                replaced = stored > new if beyond else stored < new
                clause[name] = case((or_(stored.is_(None), replaced), new), else_=stored)
        return clause

    return build


class RollupStatements:
    """The statements that need the dialect's upsert hooks, built once per store."""

    def __init__(self, hooks: StatementHooks) -> None:
        self.add_lifetime_video = hooks.upsert(
            lifetime_videos,
            ["video_id"],
            _adding(
                lifetime_videos,
                (*_SUMMED, "active_days"),
                ("first_watched_ms",),
                ("last_watched_ms",),
            ),
        )
        self.add_lifetime_global = hooks.upsert(
            lifetime_global,
            ["id"],
            _adding(
                lifetime_global,
                (*_SUMMED, "active_days"),
                ("first_watched_ms",),
                ("last_watched_ms", "last_started_ms"),
            ),
        )
        self.add_activity = hooks.upsert(
            activity_days, ["local_day"], _adding(activity_days, _ACTIVITY, (), ())
        )
        self.mark_dirty = hooks.insert_ignore(rollup_dirty, ["period_kind", "period", "video_id"])
        self.add_day = hooks.upsert(
            ledger_days_table, ["local_day"], _adding(ledger_days_table, _SUMMED, (), ())
        )


# ----------------------------------------------------------------- statements without hooks

_ENDED_SESSION = (
    select(
        sessions.c.video_id,
        videos.c.video_key,
        *(sessions.c[name] for name in _ENTRY_COLUMNS),
    )
    .join_from(sessions, videos, sessions.c.video_id == videos.c.id)
    .where(sessions.c.id == bindparam("p_id"), sessions.c.ended_at_ms.is_not(None))
)
_LEDGER_ROWS = select(
    session_totals.c.video_id,
    videos.c.video_key,
    session_totals.c.lifetime_applied,
    *(session_totals.c[name] for name in _ENTRY_COLUMNS),
).join_from(session_totals, videos, session_totals.c.video_id == videos.c.id)
_LEDGER_ROW = _LEDGER_ROWS.where(session_totals.c.session_uuid == bindparam("p_uuid"))
_PENDING = _LEDGER_ROWS.where(session_totals.c.lifetime_applied == 0)
_UPDATE_LEDGER = update(session_totals).where(session_totals.c.session_uuid == bindparam("p_uuid"))
_INSERT_LEDGER = insert(session_totals)
# active ms of the other applied rows of one (video, day)
_OTHERS_ACTIVE = select(func.coalesce(func.sum(session_totals.c.active_watched_ms), 0)).where(
    session_totals.c.video_id == bindparam("p_video"),
    session_totals.c.local_day == bindparam("p_day"),
    session_totals.c.lifetime_applied == 1,
    session_totals.c.session_uuid != bindparam("p_uuid"),
)
_DAY_ACTIVE = select(activity_days.c.active_watched_ms).where(
    activity_days.c.local_day == bindparam("p_day")
)
_DIRTY_COUNT = select(func.count()).select_from(rollup_dirty)
_CLEAR_DIRTY = delete(rollup_dirty)


def _recompute(kind: int, table: Table, period: str) -> tuple[Any, Any]:
    """DELETE the dirty groups' rows of ``table``, then INSERT their ledger aggregates.

    The aggregate is driven from the (few) dirty marks into the ledger's indexes; a mark is
    unique per group, so the join never counts a ledger row twice."""
    clear = delete(table).where(
        exists().where(
            rollup_dirty.c.period_kind == kind,
            rollup_dirty.c.period == table.c[period],
            rollup_dirty.c.video_id == table.c.video_id,
        )
    )
    marked = rollup_dirty.join(
        session_totals,
        and_(
            rollup_dirty.c.period_kind == kind,
            session_totals.c.video_id == rollup_dirty.c.video_id,
            session_totals.c[period] == rollup_dirty.c.period,
        ),
    )
    aggregate = (
        select(
            session_totals.c[period],
            session_totals.c.video_id,
            func.count(),
            *(func.sum(session_totals.c[name]) for name in LEDGER_COUNTERS),
        )
        .select_from(marked)
        .group_by(session_totals.c[period], session_totals.c.video_id)
    )
    fill = insert(table).from_select([period, "video_id", *_SUMMED], aggregate)
    return clear, fill


_RECOMPUTE = [
    _recompute(DAY_KIND, daily_rollups, "local_day"),
    _recompute(MONTH_KIND, monthly_rollups, "local_month"),
]

_PRUNE_DAILY = delete(daily_rollups).where(daily_rollups.c.local_day < bindparam("p_day"))
_PRUNE_MONTHLY = delete(monthly_rollups).where(monthly_rollups.c.local_month < bindparam("p_month"))
_PRUNE_DIRTY = delete(rollup_dirty).where(
    rollup_dirty.c.period_kind == bindparam("p_kind"),
    rollup_dirty.c.period < bindparam("p_before"),
)
# only rows already in the lifetime totals: pruning must never lose a contribution
_PRUNE_LEDGER = delete(session_totals).where(
    session_totals.c.local_day < bindparam("p_day"),
    session_totals.c.local_month < bindparam("p_month"),
    session_totals.c.lifetime_applied == 1,
)


# ----------------------------------------------------------------- operations


def _entry(row: Any) -> LedgerEntry:
    m = row._mapping
    counters = SessionCounters(**{name: int(m[name]) for name in LEDGER_COUNTERS})
    return LedgerEntry(
        session_uuid=m["session_uuid"],
        video_key=m["video_key"],
        started_at_ms=int(m["started_at_ms"]),
        ended_at_ms=int(m["ended_at_ms"]),
        local_day=day_from_number(int(m["local_day"])),
        local_month=int(m["local_month"]),
        local_hour=int(m["local_hour"]),
        totals=PeriodTotals.of_session(counters),
        lifetime_applied=bool(m.get("lifetime_applied", 0)),
    )


def session_ended(connection: Connection, statements: RollupStatements, session_id: int) -> None:
    """Record the final counters of the ENDED session ``session_id`` (see module docstring)."""
    row = connection.execute(_ENDED_SESSION, {"p_id": session_id}).one()
    _apply(connection, statements, _entry(row), int(row.video_id))


def _apply(
    connection: Connection, statements: RollupStatements, new: LedgerEntry, video_id: int
) -> None:
    old_row = connection.execute(_LEDGER_ROW, {"p_uuid": new.session_uuid}).first()
    old = None if old_row is None else _entry(old_row)
    if old is not None and old.lifetime_applied and old.same_final(new):
        return  # a replayed finalize
    day = new.day_number
    others = connection.scalar(
        _OTHERS_ACTIVE, {"p_video": video_id, "p_day": day, "p_uuid": new.session_uuid}
    )
    day_active = connection.scalar(_DAY_ACTIVE, {"p_day": day})
    change = lifetime_change(
        old, new, others_active_ms=int(others or 0), day_active_ms=int(day_active or 0)
    )
    values: dict[str, Any] = {
        "video_id": video_id,
        "started_at_ms": new.started_at_ms,
        "ended_at_ms": new.ended_at_ms,
        "local_day": day,
        "local_month": new.local_month,
        "local_hour": new.local_hour,
        "local_weekday": new.local_weekday,
        **{name: getattr(new.totals, name) for name in LEDGER_COUNTERS},
        "lifetime_applied": 1,
    }
    if old_row is None:
        connection.execute(_INSERT_LEDGER, {"session_uuid": new.session_uuid, **values})
    else:
        connection.execute(_UPDATE_LEDGER, {"p_uuid": new.session_uuid, **values})
    ledger_days.add_entry(connection, statements.add_day, new, old)
    marks = [
        {"period_kind": DAY_KIND, "period": day, "video_id": video_id},
        {"period_kind": MONTH_KIND, "period": new.local_month, "video_id": video_id},
    ]
    if old_row is not None and (old_row.video_id, old_row.local_day) != (video_id, day):
        marks.append(
            {"period_kind": DAY_KIND, "period": old_row.local_day, "video_id": old_row.video_id}
        )
        marks.append(
            {
                "period_kind": MONTH_KIND,
                "period": old_row.local_month,
                "video_id": old_row.video_id,
            }
        )
    connection.execute(statements.mark_dirty, marks)
    delta = {name: getattr(change.totals, name) for name in _SUMMED}
    span = {"first_watched_ms": change.started_at_ms, "last_watched_ms": change.ended_at_ms}
    connection.execute(
        statements.add_lifetime_video,
        {"video_id": video_id, **delta, "active_days": change.video_active_days, **span},
    )
    connection.execute(
        statements.add_lifetime_global,
        {
            "id": GLOBAL_ID,
            **delta,
            "active_days": change.global_active_days,
            **span,
            "last_started_ms": change.started_at_ms,
        },
    )
    connection.execute(
        statements.add_activity,
        {"local_day": day, **{name: getattr(change.totals, name) for name in _ACTIVITY}},
    )


def apply_pending(connection: Connection, statements: RollupStatements) -> int:
    """Apply the ledger rows not yet in the lifetime totals; how many there were."""
    pending = connection.execute(_PENDING).fetchall()
    for row in pending:
        _apply(connection, statements, _entry(row), int(row.video_id))
    return len(pending)


def recompute_dirty(connection: Connection) -> int:
    """Rebuild the rollup row of every dirty group from the ledger; the number of groups."""
    count = int(connection.scalar(_DIRTY_COUNT) or 0)
    if count:
        for clear, fill in _RECOMPUTE:
            connection.execute(clear)
            connection.execute(fill)
        connection.execute(_CLEAR_DIRTY)
    return count


def prune(connection: Connection, cutoffs: PruneCutoffs) -> dict[str, int]:
    """Delete rollups (and dirty marks) before the rollup cutoffs and ledger rows before
    both; rows deleted per table."""
    deleted = {"daily_rollups": 0, "monthly_rollups": 0, "session_totals": 0}
    day = None if cutoffs.daily_before_day is None else day_number(cutoffs.daily_before_day)
    month = cutoffs.monthly_before_month
    if day is not None:
        deleted["daily_rollups"] = connection.execute(_PRUNE_DAILY, {"p_day": day}).rowcount
        connection.execute(_PRUNE_DIRTY, {"p_kind": DAY_KIND, "p_before": day})
    if month is not None:
        result = connection.execute(_PRUNE_MONTHLY, {"p_month": month})
        deleted["monthly_rollups"] = result.rowcount
        connection.execute(_PRUNE_DIRTY, {"p_kind": MONTH_KIND, "p_before": month})
    if day is not None and month is not None:
        result = connection.execute(_PRUNE_LEDGER, {"p_day": day, "p_month": month})
        deleted["session_totals"] = result.rowcount
        if result.rowcount:
            ledger_days.rebuild_before(connection, day, month)
    return {name: int(count) for name, count in deleted.items()}
