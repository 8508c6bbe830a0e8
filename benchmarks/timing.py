"""Percentiles of timed calls, the one way every benchmark summarizes its samples."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence

__all__ = ["cpu_calibration_ms", "percentile", "summarize"]


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


def cpu_calibration_ms(rounds: int = 7) -> float:
    """The median time of a fixed pure-Python loop (a million integer additions), in ms.

    Recorded at the start and the end of every backend's run: the reads are mostly
    interpreter time, so this tells how fast the machine was while it ran (two machines, or
    one shared host at two moments, can differ several times over), and runs from different
    machines can be read side by side."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for value in range(1_000_000):
            total += value
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 1)
