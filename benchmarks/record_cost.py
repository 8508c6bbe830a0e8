"""How much a recording call costs the caller, and how fast the pipeline fills SQLite.

    python benchmarks/record_cost.py [--calls 20000] [--writes 100000]

Prints the median and 99th percentile cost (microseconds) of one ``record_subtitle_line``
and one ``record_playback_position`` call with the database free, and again while another
connection holds SQLite's write lock (the worker is then stuck in its busy timeout and the
queue overflows); then the writes per second the worker sustains into SQLite with the default
batching. Everything lives in a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from immersion import Tracker
from immersion.stores.sqlite import SqliteStore


def _percentiles(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000, p99 / 1000


def _time_calls(calls: int, call: Callable[[int], None]) -> tuple[float, float]:
    samples: list[int] = []
    clock = time.perf_counter_ns
    for index in range(calls):
        started = clock()
        call(index)
        samples.append(clock() - started)
    return _percentiles(samples)


def _open(path: Path, **write: int) -> Tracker:
    store = SqliteStore(path)
    store.create_or_upgrade_schema()
    return Tracker(store, {"timezone": "UTC", "write": write})


def _measure_calls(path: Path, calls: int, *, locked: bool) -> dict[str, tuple[float, float]]:
    tracker = _open(path)
    tracker.handle_media_change("/anime/Show/ep01.mkv", "Episode 1")
    tracker.flush(10)
    locker = None
    if locked:
        locker = sqlite3.connect(path, timeout=0, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
    try:
        results = {
            "record_subtitle_line": _time_calls(
                calls,
                lambda i: tracker.record_subtitle_line(
                    f"今日は{i}番目の 台詞です", i * 2.0, i * 2.0 + 1.5
                ),
            ),
            "record_playback_position": _time_calls(
                calls, lambda i: tracker.record_playback_position(i * 0.25)
            ),
        }
        diagnostics = tracker.diagnostics()
        results["(dropped while measuring)"] = (float(diagnostics.dropped), 0.0)
    finally:
        if locker is not None:
            locker.execute("COMMIT")
            locker.close()
        tracker.close(30)
    return results


def _measure_throughput(path: Path, writes: int) -> tuple[float, int]:
    tracker = _open(path, queue_cap=100_000)
    tracker.handle_media_change("/anime/Show/ep02.mkv")
    started = time.perf_counter()
    for index in range(writes):
        tracker.record_lookup(index % 3 == 0)
    assert tracker.flush(120), "flush did not complete"
    elapsed = time.perf_counter() - started
    written = tracker.diagnostics().written
    tracker.close(30)
    return written / elapsed, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for locked in (False, True):
            label = "database locked by another connection" if locked else "database free"
            print(f"{label} ({args.calls} calls each):")
            name = "locked.sqlite" if locked else "free.sqlite"
            for call, (median, p99) in _measure_calls(
                root / name, args.calls, locked=locked
            ).items():
                if call.startswith("("):
                    print(f"  {call}: {int(median)} writes")
                else:
                    print(f"  {call:26s} median {median:6.2f} us   p99 {p99:7.2f} us")
        rate, written = _measure_throughput(root / "throughput.sqlite", args.writes)
        print(f"sustained: {written} writes in batches of 25 -> {rate:,.0f} writes/s")


if __name__ == "__main__":
    main()
