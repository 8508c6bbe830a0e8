"""One maintenance pass on the loaded store, with ``immersion.maintenance.run_pass``.

``run_pass(store, config, clock, *, allow_compaction)`` does, in order: close sessions left
active by a crash, bring rollups up to date, prune by the retention windows, compact when due.
The pass here is the learner's daily pass on a store that keeps its whole history:

- the clock stands one minute after the history's last activity (the live session is not
  stale; the "crashed" ones are, and get closed);
- raw data (events, telemetry, ended sessions) is kept for the history's span minus one day,
  so the pass prunes about the oldest day, as a daily pass in a steady state does; rollups
  are kept forever;
- compaction is due (the last one is set to long ago), so the pass includes the store's
  compaction: SQLite ``VACUUM``, PostgreSQL ``VACUUM (ANALYZE)``, MariaDB ``ANALYZE TABLE``
  plus ``OPTIMIZE TABLE`` of the tables with much free space (none, in a fresh load).

Each store call of the pass is timed through a thin proxy, which shows where the time goes.
A second pass right after shows the cost when nothing is due (no compaction, nothing to
prune).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, cast

from immersion.config import TrackerConfig
from immersion.maintenance import LAST_COMPACTION_KEY, run_pass
from immersion.store import ImmersionTrackingStore
from immersion.testing import ManualClock

from .generator import History

__all__ = ["run_maintenance"]

_MAX_RETENTION_DAYS = 3_650  # RetentionConfig's accepted range


class _TimedStore:
    """Delegates to a store and adds up the seconds spent in each method."""

    def __init__(self, store: ImmersionTrackingStore) -> None:
        self._store = store
        self.seconds: dict[str, float] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                self.seconds[name] = self.seconds.get(name, 0.0) + spent

        return cast(Callable[..., Any], timed)


def maintenance_config(history: History) -> TrackerConfig:
    """Retention that prunes about the oldest day of ``history`` (see the module docstring)."""
    zone = history.zone
    span = (history.summary.last_day(zone) - history.summary.first_day(zone)).days
    keep = min(_MAX_RETENTION_DAYS, max(1, span - 1))
    retention = {
        "events_days": keep,
        "telemetry_days": keep,
        "sessions_days": keep,
        "daily_rollups_days": 0,
        "monthly_rollups_days": 0,
        "vacuum_interval_days": 1,
    }
    return TrackerConfig(timezone=history.zone.key, retention=retention)


def run_maintenance(store: ImmersionTrackingStore, history: History) -> dict[str, Any]:
    """Run the pass (and a second, idle one); return timings and what the pass did."""
    config = maintenance_config(history)
    clock = ManualClock(history.summary.last_ms + 60_000)
    store.set_state(LAST_COMPACTION_KEY, "0")  # compaction is due
    timed = _TimedStore(store)
    started = time.perf_counter()
    report = run_pass(cast(ImmersionTrackingStore, timed), config, clock, allow_compaction=True)
    seconds = time.perf_counter() - started
    clock.advance(60_000)
    again = time.perf_counter()
    second = run_pass(store, config, clock, allow_compaction=True)
    second_seconds = time.perf_counter() - again
    return {
        "seconds": round(seconds, 3),
        "steps_seconds": {name: round(value, 3) for name, value in timed.seconds.items()},
        "report": asdict(report),
        "retention_days": config.retention.events_days,
        "second_pass_seconds": round(second_seconds, 3),
        "second_pass_compacted": second.compacted,
    }
