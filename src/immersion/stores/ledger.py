"""The per-session ledger and what finalizing a session does to the lifetime totals.

Shared by every store so that the write side, like the reads, is decided once:

- a **ledger entry** holds the final counters of one ENDED session with the local day, month,
  hour and weekday it started on. Rollups are recomputed from ledger entries only (never from
  raw events or telemetry, which are kept for a shorter time), and entries live at least as
  long as the rollups;
- **lifetime totals** (per video and global) and **day activity** (global, per local day) are
  maintained by adding each entry exactly once: the first time an entry is applied its whole
  counters are added and ``lifetime_applied`` is set; a later finalize of the same session
  with other counters adds only the difference. Replaying a finalize changes nothing;
- an **active day** is a local day with active watch time > 0 (per video: on that video).
  ``LifetimeChange`` says whether applying an entry makes a day cross that line, in either
  direction, so ``active_days`` is exact without rescanning anything.

A store computes ``others_active_ms`` (active ms of the *other* applied entries of the same
video and day) and ``day_active_ms`` (the day's activity before the change) with one indexed
read each; everything else is here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from ..analytics import PeriodTotals
from ..domain import Session, day_number
from ..localtime import local_weekday

__all__ = [
    "DAY_KIND",
    "MONTH_KIND",
    "DayActivity",
    "LedgerEntry",
    "LifetimeChange",
    "LifetimeTotals",
    "crossing",
    "lifetime_change",
]

# rollup_dirty.period_kind: which rollup a dirty mark is for
DAY_KIND = 1
MONTH_KIND = 2


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """The final counters of one ended session (``totals.sessions`` is 1)."""

    session_uuid: str
    video_key: str
    started_at_ms: int
    ended_at_ms: int
    local_day: dt.date
    local_month: int
    local_hour: int
    totals: PeriodTotals
    lifetime_applied: bool = False

    @property
    def local_weekday(self) -> int:
        return local_weekday(self.local_day)

    @property
    def day_number(self) -> int:
        return day_number(self.local_day)

    @classmethod
    def of_session(cls, session: Session) -> LedgerEntry:
        """The entry of an ENDED session (not yet applied to the lifetime totals)."""
        if session.ended_at_ms is None:
            raise ValueError(f"session {session.session_uuid!r} has not ended")
        return cls(
            session_uuid=session.session_uuid,
            video_key=session.video_key,
            started_at_ms=session.started_at_ms,
            ended_at_ms=session.ended_at_ms,
            local_day=session.local_day,
            local_month=session.local_month,
            local_hour=session.local_hour,
            totals=PeriodTotals.of_session(session.counters),
        )

    def same_final(self, other: LedgerEntry) -> bool:
        """Whether both hold the same finalized session (``lifetime_applied`` aside)."""
        return replace(self, lifetime_applied=other.lifetime_applied) == other

    def groups(self) -> set[tuple[int, int, str]]:
        """The rollup groups this entry counts in: ``(kind, period, video_key)``."""
        return {
            (DAY_KIND, self.day_number, self.video_key),
            (MONTH_KIND, self.local_month, self.video_key),
        }


@dataclass(frozen=True, slots=True)
class DayActivity:
    """Global activity of one local day (``activity_days``; never pruned)."""

    sessions: int = 0
    active_watched_ms: int = 0
    cards_mined: int = 0
    words_seen: int = 0

    def plus(self, delta: PeriodTotals) -> DayActivity:
        return DayActivity(
            sessions=self.sessions + delta.sessions,
            active_watched_ms=self.active_watched_ms + delta.active_watched_ms,
            cards_mined=self.cards_mined + delta.cards_mined,
            words_seen=self.words_seen + delta.words_seen,
        )


@dataclass(frozen=True, slots=True)
class LifetimeChange:
    """What applying one ledger entry adds to the lifetime totals and the day activity."""

    totals: PeriodTotals  # the difference to add (sessions: 1 the first time, then 0)
    video_active_days: int  # -1, 0 or +1
    global_active_days: int  # -1, 0 or +1
    started_at_ms: int
    ended_at_ms: int


@dataclass(frozen=True, slots=True)
class LifetimeTotals:
    """All-time totals of ended sessions, per video or global; never lowered by retention.

    ``first_watched_ms``: earliest session start; ``last_watched_ms``: latest session end;
    ``last_started_ms``: latest session start (kept for the overview).
    """

    totals: PeriodTotals = field(default_factory=PeriodTotals)
    active_days: int = 0
    first_watched_ms: int | None = None
    last_watched_ms: int | None = None
    last_started_ms: int | None = None

    def applied(self, change: LifetimeChange, active_days_delta: int) -> LifetimeTotals:
        return LifetimeTotals(
            totals=self.totals.plus(change.totals),
            active_days=self.active_days + active_days_delta,
            first_watched_ms=_lowest(self.first_watched_ms, change.started_at_ms),
            last_watched_ms=_highest(self.last_watched_ms, change.ended_at_ms),
            last_started_ms=_highest(self.last_started_ms, change.started_at_ms),
        )


def crossing(before_ms: int, after_ms: int) -> int:
    """+1 when active time goes from none to some, -1 the other way, else 0."""
    return int(after_ms > 0) - int(before_ms > 0)


def lifetime_change(
    old: LedgerEntry | None,
    new: LedgerEntry,
    *,
    others_active_ms: int,
    day_active_ms: int,
) -> LifetimeChange:
    """What applying ``new`` adds, given the session's ``old`` entry (if any).

    ``others_active_ms``: active ms of the other applied entries of ``new``'s video and local
    day; ``day_active_ms``: active ms of ``new``'s local day in the day activity, before this
    change. A session never changes its video or start day, so both describe ``old`` too.
    """
    applied_before = old is not None and old.lifetime_applied
    previous = old.totals if old is not None and applied_before else PeriodTotals()
    delta = new.totals.minus(previous)
    return LifetimeChange(
        totals=delta,
        video_active_days=crossing(
            others_active_ms + previous.active_watched_ms,
            others_active_ms + new.totals.active_watched_ms,
        ),
        global_active_days=crossing(day_active_ms, day_active_ms + delta.active_watched_ms),
        started_at_ms=new.started_at_ms,
        ended_at_ms=new.ended_at_ms,
    )


def _lowest(current: int | None, value: int) -> int:
    return value if current is None else min(current, value)


def _highest(current: int | None, value: int) -> int:
    return value if current is None else max(current, value)
