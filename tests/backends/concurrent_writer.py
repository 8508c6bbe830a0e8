"""One tracker process of the concurrent-writers test (``test_concurrent_writers``).

Run as ``python -m tests.backends.concurrent_writer TAG SESSIONS LINES``. The store comes
from the environment (``IMMERSION_STORAGE__PROVIDER`` and ``IMMERSION_STORAGE__URL``), as a
learner would configure it. The process prints ``ready``, waits for a ``go`` line on stdin
(so both processes open the tracker, create the schema and write at the same moment),
records ``SESSIONS`` sessions of ``LINES`` subtitle lines each on a set of videos shared with
the other process, and prints one JSON line: the session UUIDs and the pipeline's numbers.

Time is a ``ManualClock`` moved 100 ms per line: nothing here sleeps.
"""

from __future__ import annotations

import faulthandler
import json
import sys

import immersion
from immersion.testing import ManualClock

SHARED_VIDEOS = 3
LOOKUP_EVERY = 5
HANG_S = 60


def main(tag: str, sessions: int, lines: int) -> None:
    # a hung writer prints where it hangs and exits, instead of hanging the test run
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected go")
    clock = ManualClock()
    config = {
        "timezone": "UTC",
        "storage": {"fallback": "none"},
        # room for everything: this test is about the store, not the overflow policy
        "write": {"queue_cap": 100_000},
        "maintenance": {"enabled": False},
    }
    uuids = []
    with immersion.open_tracker(config, clock=clock) as tracker:
        for number in range(sessions):
            video = number % SHARED_VIDEOS
            tracker.handle_media_change(
                f"/shared/episode-{video}.mkv", f"共有 エピソード {video} 🎬"
            )
            active = tracker.session
            assert active is not None
            uuids.append(active.session_uuid)
            for line in range(lines):
                clock.advance(100)
                tracker.record_playback_position(line * 0.1)
                tracker.record_subtitle_line(
                    f"{tag} s{number} line {line} 日本語", line * 1.0, line * 1.0 + 0.5
                )
                if line % LOOKUP_EVERY == 0:
                    tracker.record_lookup(hit=True)
        tracker.handle_media_change(None)
        flushed = _drain(tracker, clock)
        diagnostics = tracker.diagnostics()
    report = {
        "sessions": uuids,
        "flushed": flushed,
        "written": diagnostics.written,
        "batches": diagnostics.batches_written,
        "retries": diagnostics.retries,
        "dropped": diagnostics.dropped,
        "dead_lettered": diagnostics.dead_lettered,
        "last_error": diagnostics.last_error,
    }
    print(json.dumps(report), flush=True)


def _drain(tracker: immersion.Tracker, clock: ManualClock) -> bool:
    """Flush, moving the clock on while waiting: a batch that hit a deadlock is retried after
    a backoff measured on the tracker's clock."""
    for _ in range(HANG_S * 10):
        if tracker.flush(0.1):
            return True
        clock.advance(1_000)
    return False


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
