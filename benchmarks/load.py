"""Bulk load: the generated history through the store's batch path, ``write_batch``.

This is how an import or a migration fills a store, not how the tracker records (that is
``ingest``): large batches (5,000 writes by default), each one transaction. The rate is writes
(rows: events, samples and session/video writes) per second of time spent inside
``write_batch``; generating the writes is timed apart.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from immersion.store import ImmersionTrackingStore

from .generator import History

__all__ = ["DEFAULT_BATCH", "load_history"]

DEFAULT_BATCH = 5_000


def load_history(
    store: ImmersionTrackingStore,
    history: History,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write all of ``history`` into ``store``; return what was written and how fast."""
    writes = history.writes()
    in_store = 0.0
    batches = 0
    next_report = 0.1
    started = time.perf_counter()
    while batch := list(itertools.islice(writes, batch_size)):
        began = time.perf_counter()
        store.write_batch(batch)
        in_store += time.perf_counter() - began
        batches += 1
        done = history.summary.events / history.events
        if progress is not None and done >= next_report:
            progress(f"loaded {history.summary.events:,} events ({done:.0%})")
            next_report += 0.1
    total = time.perf_counter() - started
    summary = history.summary
    return {
        "batch_size": batch_size,
        "batches": batches,
        "writes": summary.writes,
        "events": summary.events,
        "samples": summary.samples,
        "sessions": summary.sessions,
        "active_sessions": summary.active_sessions,
        "videos": len(summary.video_keys),
        "seconds_in_store": round(in_store, 3),
        "seconds_generating": round(total - in_store, 3),
        "writes_per_s": round(summary.writes / in_store) if in_store else None,
        "events_per_s": round(summary.events / in_store) if in_store else None,
    }
