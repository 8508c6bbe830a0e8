"""Two tracker processes write different sessions to one server database at the same time.

Both start on an empty database (so they also race to create the schema), share the same
videos (so their upserts contend for the same rows) and record many events each. Every write
must be stored exactly once, under the right session, with nothing dropped; deadlocks and
serialization failures may happen and must be retried, never lost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from immersion.domain import EventType
from tests.backends import concurrent_writer
from tests.support.stores import server_store

ROOT = Path(__file__).resolve().parents[2]
TAGS = ("alpha", "beta")
SESSIONS = 6
LINES = 300
LOOKUPS = len(range(0, LINES, concurrent_writer.LOOKUP_EVERY))


def _run_writers(provider: str, url: sa.URL) -> list[dict[str, Any]]:
    env = dict(os.environ)
    env.update(
        IMMERSION_STORAGE__PROVIDER=provider,
        IMMERSION_STORAGE__URL=url.render_as_string(hide_password=False),
    )
    command = [sys.executable, "-m", "tests.backends.concurrent_writer"]
    writers = [
        subprocess.Popen(
            [*command, tag, str(SESSIONS), str(LINES)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in TAGS
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        outputs = []
        for writer in writers:  # both are ready: start them together
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        for writer in writers:
            out, err = writer.communicate(timeout=180)
            assert writer.returncode == 0, err
            outputs.append(json.loads(out.strip().splitlines()[-1]))
        return outputs
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()


def _count(url: sa.URL, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text(f"SELECT count(*) FROM {table}")))
    finally:
        engine.dispose()


def test_two_processes_store_every_write_exactly_once(
    server_kind: str, server_provider: str, scratch_url: sa.URL
) -> None:
    reports = _run_writers(server_provider, scratch_url)
    for report in reports:
        assert report["flushed"] is True
        assert (report["dropped"], report["dead_lettered"]) == (0, 0), report
    all_uuids = [uuid for report in reports for uuid in report["sessions"]]
    assert len(set(all_uuids)) == len(TAGS) * SESSIONS

    store = server_store(server_kind, scratch_url)
    try:
        summaries = {s.session_uuid: s for s in store.session_summaries(limit=1000)}
        assert set(summaries) == set(all_uuids)
        for tag, report in zip(TAGS, reports, strict=True):
            for number, uuid in enumerate(report["sessions"]):
                summary = summaries[uuid]
                assert summary.ended_at_ms is not None
                assert (summary.lines_seen, summary.lookup_count) == (LINES, LOOKUPS)
                lines = store.session_events(uuid, 100_000, [EventType.SUBTITLE_LINE])
                # each line exactly once, under its own session (no id mixed up between
                # the processes' caches)
                assert [event.line_index for event in lines] == list(range(LINES))
                assert all(f'"{tag} s{number} line ' in (e.payload_json or "") for e in lines)
                seqs = [event.seq for event in store.session_events(uuid, 100_000)]
                assert len(seqs) == len(set(seqs)) == LINES + LOOKUPS
        videos = store.video_stats()
        assert len(videos) == concurrent_writer.SHARED_VIDEOS
        assert sum(video.sessions for video in videos) == len(all_uuids)
    finally:
        store.close()
    assert _count(scratch_url, "events") == len(all_uuids) * (LINES + LOOKUPS)
    assert _count(scratch_url, "sessions") == len(all_uuids)
    assert _count(scratch_url, "videos") == concurrent_writer.SHARED_VIDEOS
