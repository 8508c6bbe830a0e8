"""Percentiles of timed calls, the one way every benchmark summarizes its samples."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["percentile", "summarize"]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted samples (``fraction`` in 0..1)."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(samples_ns: Sequence[int], unit_ns: float, digits: int = 3) -> dict[str, float]:
    """``runs``, ``p50``, ``p95``, ``p99``, ``mean`` and ``max`` of durations in ns, expressed
    in ``unit_ns`` (1e6: milliseconds, 1e3: microseconds)."""
    ordered = sorted(samples_ns)

    def scaled(value: float) -> float:
        return round(value / unit_ns, digits)

    return {
        "runs": len(ordered),
        "p50": scaled(statistics.median(ordered)),
        "p95": scaled(percentile(ordered, 0.95)),
        "p99": scaled(percentile(ordered, 0.99)),
        "mean": scaled(statistics.fmean(ordered)),
        "max": scaled(ordered[-1]),
    }
