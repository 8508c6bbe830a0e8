"""``ledger_days`` (revision 0003): the ledger summed per local day.

Invariant: the row of a day holds the count and the sums of that day's ``session_totals``
rows, and a day without ledger rows has no row. The range reads (throughput, trends, the
overview's today) then read one row per day on the primary key instead of grouping every
session of the range.

How each change of the ledger keeps it, in the caller's transaction:

- a finalize (``rollups._apply``) adds the new entry and subtracts the entry it replaces,
  through an upsert that adds (``col = col + new``): concurrent writers on the same day (two
  machines tracking into one server) never lose an update, as with ``activity_days``; a day
  left with no session (an entry that moved to another day) is deleted;
- loaded ledger records (``load_records``) and pruning rebuild the days they touched from
  the ledger itself, so they stay exact whatever the loaded rows were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, delete, func, insert, select
from sqlalchemy.sql.dml import Insert

from ...analytics import LEDGER_COUNTERS, PeriodTotals
from ..ledger import LedgerEntry
from .schema import ledger_days, session_totals

__all__ = ["add_entry", "rebuild_before", "rebuild_days"]

_SUMMED = ("sessions", *LEDGER_COUNTERS)
_KEYS = ("local_day", "local_month", "local_weekday")
# Days per statement when rebuilding a list of days (an IN list on the primary key).
_DAYS_PER_STATEMENT = 500


_DROP_EMPTY = delete(ledger_days).where(
    ledger_days.c.local_day == bindparam("p_day"), ledger_days.c.sessions <= 0
)


def _values(entry: LedgerEntry, totals: PeriodTotals) -> dict[str, Any]:
    return {
        "local_day": entry.day_number,
        "local_month": entry.local_month,
        "local_weekday": entry.local_weekday,
        **{name: getattr(totals, name) for name in _SUMMED},
    }


def add_entry(
    connection: Connection, add_to_day: Insert, new: LedgerEntry, old: LedgerEntry | None
) -> None:
    """Count ``new`` in its day, in place of ``old`` (the entry it replaces, if any: a
    finalize replayed with other counters). ``add_to_day``: the upsert of a row of
    ``ledger_days`` that adds to the stored sums (``RollupStatements.add_day``)."""
    if old is not None:
        if old.same_final(new):
            return  # already counted as it is
        connection.execute(add_to_day, _values(old, PeriodTotals().minus(old.totals)))
    connection.execute(add_to_day, _values(new, new.totals))
    if old is not None:  # (a day is a session's start day: this only matters if that moved)
        connection.execute(_DROP_EMPTY, {"p_day": old.day_number})


def _aggregate(*conditions: Any) -> Any:
    keys = [session_totals.c[name] for name in _KEYS]
    return insert(ledger_days).from_select(
        [*_KEYS, *_SUMMED],
        select(*keys, func.count(), *(func.sum(session_totals.c[name]) for name in LEDGER_COUNTERS))
        .where(*conditions)
        .group_by(*keys),
    )


_DAYS: BindParameter[int] = bindparam("p_days", expanding=True)
_CLEAR_DAYS = delete(ledger_days).where(ledger_days.c.local_day.in_(_DAYS))
_FILL_DAYS = _aggregate(session_totals.c.local_day.in_(_DAYS))
# The ledger's own prune condition, minus ``lifetime_applied``: rebuilding every day of the
# pruned range from what is left keeps the days exact even where pending rows were kept.
_BEFORE = (
    ledger_days.c.local_day < bindparam("p_day"),
    ledger_days.c.local_month < bindparam("p_month"),
)
_CLEAR_BEFORE = delete(ledger_days).where(*_BEFORE)
_FILL_BEFORE = _aggregate(
    session_totals.c.local_day < bindparam("p_day"),
    session_totals.c.local_month < bindparam("p_month"),
)


def rebuild_days(connection: Connection, days: Iterable[int]) -> None:
    """Rebuild the rows of ``days`` (day numbers) from the ledger."""
    wanted = sorted(set(days))
    for start in range(0, len(wanted), _DAYS_PER_STATEMENT):
        chunk = {"p_days": wanted[start : start + _DAYS_PER_STATEMENT]}
        connection.execute(_CLEAR_DAYS, chunk)
        connection.execute(_FILL_DAYS, chunk)


def rebuild_before(connection: Connection, day: int, month: int) -> None:
    """Rebuild every day the ledger prune (``local_day < day`` and ``local_month < month``)
    touched: normally it deletes them all and nothing is left to sum."""
    bounds = {"p_day": day, "p_month": month}
    connection.execute(_CLEAR_BEFORE, bounds)
    connection.execute(_FILL_BEFORE, bounds)
