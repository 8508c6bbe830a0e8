"""A migration killed with SIGKILL in the middle, then run again: complete, nothing stored
twice, verified. The kill comes once the destination's checkpoints show that events are
being copied (so some batches are in, and the migration is certainly unfinished)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from tests.transfer.helpers import (
    ZONE,
    everything,
    fill,
    invoke,
    isolated_environment,
    reads,
    sqlite_store,
    sqlite_url,
)

from immersion.records import RECORD_KINDS
from immersion.stores.sqlite import SqliteStore

_CLI = "import sys; from immersion.cli import main; main(sys.argv[1:], prog_name='immersion')"


def checkpoints(path: Path) -> dict[str, str]:
    """The migration's checkpoints in the destination, read without disturbing the writer."""
    if not path.exists():
        return {}
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            rows = db.execute(
                "SELECT key, value FROM maintenance_state WHERE key LIKE 'migrate:%'"
            ).fetchall()
    except sqlite3.OperationalError:  # the schema is still being created
        return {}
    return {key.rsplit(":", 1)[1]: value for key, value in rows}


def test_a_killed_migration_finishes_on_the_next_run(tmp_path: Path, isolated_home: Path) -> None:
    source_path, destination = tmp_path / "big.sqlite", tmp_path / "copy.sqlite"
    source = sqlite_store(source_path)
    try:
        fill(source, events=30_000, seed=3)
    finally:
        source.close()
    args = ["migrate", "--from", sqlite_url(source_path), "--to", sqlite_url(destination)]
    process = subprocess.Popen(
        [sys.executable, "-c", _CLI, *args, "--batch-size", "100"],
        env=isolated_environment(isolated_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while checkpoints(destination).get("events", "") in ("", "done"):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the migration never reached the events"
            time.sleep(0.01)  # polling another process's progress, not waiting for time
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    left = checkpoints(destination)
    assert "complete" not in left and left["events"] not in ("", "done")

    result = invoke(*args, "--batch-size", "100")
    assert result.exit_code == 0, result.stderr
    assert "resumed and finished" in result.stdout
    assert "MISMATCH" not in result.stdout

    original = SqliteStore(source_path, read_only=True, timezone=ZONE)
    copy = SqliteStore(destination, read_only=True, timezone=ZONE)
    try:
        for kind in RECORD_KINDS:  # nothing twice (and nothing lost)
            assert copy.count_records(kind) == original.count_records(kind) + (kind == "state") * (
                len(RECORD_KINDS) + 2
            ), kind
        assert everything(copy) == everything(original)
        assert reads(copy) == reads(original)
    finally:
        copy.close()
        original.close()
