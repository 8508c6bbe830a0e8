"""Maintenance: closing crashed sessions, rollups, retention and compaction, on the worker.

One pass, in the order the domain reference requires (§4): the pipeline first writes what is
queued; then sessions left active by a crash are closed at their last sample, rollups and
lifetime totals are brought up to date, raw data older than its window is pruned, old rollups
are pruned, and finally the store is compacted when that is due.

The worker runs a pass at start-up and every ``maintenance.interval_ms`` (and on
``Tracker.run_maintenance``), between batches, so a pass never overlaps a batch write.
Compaction (``VACUUM`` and friends) additionally waits until no write has been submitted for
``maintenance.idle_before_compaction_ms`` and runs at most once per
``retention.vacuum_interval_days``; its last run is persisted in the store (state key
``last_compaction_ms``), so a restart does not compact again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from .clock import Clock
from .config import TrackerConfig
from .localtime import local_time
from .results import MaintenanceReport
from .store import ImmersionTrackingStore, PruneCutoffs

__all__ = [
    "LAST_COMPACTION_KEY",
    "LAST_MAINTENANCE_KEY",
    "MaintenanceSchedule",
    "prune_cutoffs",
    "run_pass",
]

log = logging.getLogger("immersion.maintenance")
DAY_MS = 86_400_000
LAST_COMPACTION_KEY = "last_compaction_ms"
LAST_MAINTENANCE_KEY = "last_maintenance_ms"


def prune_cutoffs(config: TrackerConfig, now_ms: int) -> PruneCutoffs:
    """The retention windows of ``config`` as bounds at ``now_ms`` (0 days: keep forever).

    Rollup windows count local days back from today in the configured zone.
    """
    retention = config.retention
    today = local_time(now_ms, config.zone()).day

    def before_ms(days: int) -> int | None:
        return now_ms - days * DAY_MS if days else None

    def before_day(days: int) -> dt.date | None:
        return today - dt.timedelta(days=days) if days else None

    monthly_day = before_day(retention.monthly_rollups_days)
    return PruneCutoffs(
        events_before_ms=before_ms(retention.events_days),
        telemetry_before_ms=before_ms(retention.telemetry_days),
        sessions_before_ms=before_ms(retention.sessions_days),
        daily_before_day=before_day(retention.daily_rollups_days),
        monthly_before_month=(
            monthly_day.year * 100 + monthly_day.month if monthly_day is not None else None
        ),
    )


def compaction_due(store: ImmersionTrackingStore, config: TrackerConfig, now_ms: int) -> bool:
    """Whether the vacuum interval has passed since the last (persisted) compaction.

    A store that never recorded one starts its interval now: a new database needs no
    compaction, and the original's mistake was compacting at every start-up.
    """
    if not store.capabilities.compaction:
        return False
    last = store.get_state(LAST_COMPACTION_KEY)
    if last is None:
        store.set_state(LAST_COMPACTION_KEY, str(now_ms))
        return False
    try:
        last_ms = int(last)
    except ValueError:
        return True
    return now_ms - last_ms >= config.retention.vacuum_interval_days * DAY_MS


def compact(store: ImmersionTrackingStore, now_ms: int) -> None:
    store.compact()
    store.set_state(LAST_COMPACTION_KEY, str(now_ms))


def run_pass(
    store: ImmersionTrackingStore,
    config: TrackerConfig,
    clock: Clock,
    *,
    allow_compaction: bool,
    force_compaction: bool = False,
) -> MaintenanceReport:
    """One maintenance pass (the queue is already written); compaction only if allowed and due,
    or whenever ``force_compaction`` asks for it (``immersion maintenance --vacuum``) and the
    store supports it."""
    started_ms = clock.now_ms()
    started = time.perf_counter()
    capabilities = store.capabilities
    stale_before = started_ms - config.maintenance.stale_session_after_ms
    closed = store.close_stale_sessions(max(0, stale_before))
    groups = store.update_rollups() if capabilities.rollups else 0
    pruned = store.prune(prune_cutoffs(config, started_ms)) if capabilities.retention else {}
    compacted = False
    if (force_compaction and capabilities.compaction) or (
        allow_compaction and compaction_due(store, config, started_ms)
    ):
        compact(store, started_ms)
        compacted = True
    store.set_state(LAST_MAINTENANCE_KEY, str(started_ms))
    return MaintenanceReport(
        started_at_ms=started_ms,
        duration_ms=round((time.perf_counter() - started) * 1000),
        stale_sessions_closed=closed,
        rollup_groups=groups,
        pruned=dict(pruned),
        compacted=compacted,
    )


@dataclass
class _Request:
    done: threading.Event
    report: MaintenanceReport | None = None
    error: str | None = None


class MaintenanceSchedule:
    """When the worker should run a pass or a deferred compaction; runs them on the worker.

    All methods except ``request`` are called by the worker thread only. Times are the clock's
    monotonic milliseconds, like the pipeline's.
    """

    def __init__(self, store: ImmersionTrackingStore, config: TrackerConfig, clock: Clock) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._interval_ms = config.maintenance.interval_ms
        self._idle_ms = config.maintenance.idle_before_compaction_ms
        self._next_pass_ms: int | None = 0 if config.maintenance.enabled else None
        self._compaction_pending = False
        self._lock = threading.Lock()
        self._requests: list[_Request] = []
        self.last_report: MaintenanceReport | None = None

    def request(self) -> _Request:
        """Ask for a pass as soon as the worker is free (any thread)."""
        pending = _Request(threading.Event())
        with self._lock:
            self._requests.append(pending)
        return pending

    def due_in_ms(self, now_ms: int, last_put_ms: int | None) -> int | None:
        """Milliseconds until something is due (<= 0: now), or ``None`` for nothing planned."""
        with self._lock:
            if self._requests:
                return 0
        candidates: list[int] = []
        if self._next_pass_ms is not None:
            candidates.append(self._next_pass_ms - now_ms)
        if self._compaction_pending:
            idle_since = last_put_ms if last_put_ms is not None else 0
            candidates.append(idle_since + self._idle_ms - now_ms)
        return min(candidates) if candidates else None

    def run_due(self, now_ms: int, last_put_ms: int | None) -> None:
        """Run what is due. Never raises: failures are logged and retried at the next pass."""
        with self._lock:
            requests, self._requests = self._requests, []
        idle = last_put_ms is None or now_ms - last_put_ms >= self._idle_ms
        pass_due = bool(requests) or (
            self._next_pass_ms is not None and now_ms >= self._next_pass_ms
        )
        try:
            if pass_due:
                report = run_pass(self._store, self._config, self._clock, allow_compaction=idle)
                self.last_report = report
                self._compaction_pending = not report.compacted and compaction_due(
                    self._store, self._config, report.started_at_ms
                )
                for pending in requests:
                    pending.report = report
            elif self._compaction_pending and idle:
                compact(self._store, self._clock.now_ms())
                self._compaction_pending = False
        except Exception as exc:
            message = f"maintenance failed: {type(exc).__name__}: {exc}"
            log.warning(message.split("\n", 1)[0])
            self._compaction_pending = False
            for pending in requests:
                pending.error = message
        finally:
            if pass_due and self._next_pass_ms is not None:
                self._next_pass_ms = now_ms + self._interval_ms
            for pending in requests:
                pending.done.set()
