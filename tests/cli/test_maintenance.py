"""``immersion maintenance``: one pass with its report; ``--vacuum`` compacts even when not due."""

from __future__ import annotations

import json
from pathlib import Path

from immersion.clock import SystemClock
from immersion.config import TrackerConfig
from immersion.maintenance import LAST_COMPACTION_KEY, LAST_MAINTENANCE_KEY, run_pass
from immersion.stores.memory import MemoryStore
from immersion.stores.sqlite import SqliteStore
from tests.cli.conftest import invoke, one_line_error


def _state(db: Path, key: str) -> int | None:
    store = SqliteStore(db, read_only=True)
    try:
        value = store.get_state(key)
        return int(value) if value is not None else None
    finally:
        store.close()


def test_maintenance_prints_its_report(demo_db: Path) -> None:
    result = invoke("maintenance", "--db", demo_db)
    assert result.exit_code == 0, result.output
    for label in ("stale sessions closed", "pruned events", "compacted", "took"):
        assert label in result.stdout
    assert "not due; --vacuum forces it" in result.stdout


def test_maintenance_json_is_the_report_and_records_the_pass(demo_db: Path) -> None:
    result = invoke("maintenance", "--db", demo_db, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {
        "started_at_ms",
        "duration_ms",
        "stale_sessions_closed",
        "rollup_groups",
        "pruned",
        "compacted",
    }
    assert report["compacted"] is False  # compacted at most every vacuum_interval_days
    assert set(report["pruned"]) >= {"events", "telemetry", "sessions"}
    assert report["stale_sessions_closed"] == 0  # the demo ended all of its sessions
    assert _state(demo_db, LAST_MAINTENANCE_KEY) == report["started_at_ms"]


def test_vacuum_compacts_even_when_not_due(demo_db: Path) -> None:
    before = _state(demo_db, LAST_COMPACTION_KEY)
    result = invoke("maintenance", "--db", demo_db, "--vacuum", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["compacted"] is True
    assert _state(demo_db, LAST_COMPACTION_KEY) == report["started_at_ms"]
    assert before is None or before <= report["started_at_ms"]
    plain = invoke("maintenance", "--db", demo_db, "--vacuum")
    assert plain.exit_code == 0, plain.output
    assert "compacted" in plain.stdout and "yes" in plain.stdout


def test_force_compaction_on_a_store_that_cannot_compact_does_nothing() -> None:
    store = MemoryStore()
    config = TrackerConfig(storage={"provider": "memory"})  # type: ignore[arg-type]
    report = run_pass(store, config, SystemClock(), allow_compaction=False, force_compaction=True)
    assert report.compacted is False
    assert store.get_state(LAST_COMPACTION_KEY) is None


def test_maintenance_on_a_missing_config_is_one_line(tmp_path: Path) -> None:
    result = invoke("maintenance", "--config", tmp_path / "missing.toml")
    assert result.exit_code == 2
    assert "missing.toml does not exist" in one_line_error(result)
