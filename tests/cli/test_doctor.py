"""``immersion doctor``: configuration with secrets masked, connection, schema, outbox,
maintenance times and size, all without changing anything."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from immersion.cli.doctor import masked_config
from immersion.config import TrackerConfig
from immersion.maintenance import LAST_COMPACTION_KEY, LAST_MAINTENANCE_KEY
from immersion.pipeline.outbox import Outbox
from immersion.stores.sql import migrate
from immersion.stores.sqlite import SqliteStore
from immersion.writes import UpdateVideoTitle
from tests.cli.conftest import invoke

PASSWORD = "hunter2-correct-horse"


def _json(*args: str | Path, exit_code: int = 0) -> dict[str, Any]:
    result = invoke("doctor", *args, "--json")
    assert result.exit_code == exit_code, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_doctor_reports_a_healthy_store(demo_db: Path) -> None:
    result = invoke("doctor", "--db", demo_db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Configuration in effect" in out and "storage.provider" in out
    assert "ok (" in out and "up to date" in out
    for label in ("last maintenance", "last compaction", "database size", "outbox"):
        assert label in out
    assert "never" not in out  # the demo's tracker ran maintenance at start-up


def test_doctor_json_agrees_with_the_store(demo_db: Path) -> None:
    document = _json("--db", demo_db)
    assert document["provider"] == "sqlite"
    assert document["config"]["storage"]["path"] == str(demo_db)
    assert document["connection"]["ok"] is True and document["connection"]["ms"] >= 0
    store = SqliteStore(demo_db, read_only=True)
    try:
        status = store.schema_status()
        maintenance_ms = int(store.get_state(LAST_MAINTENANCE_KEY) or 0)
        compaction_ms = int(store.get_state(LAST_COMPACTION_KEY) or 0)
        assert document["size_bytes"] == store.storage_size_bytes()
    finally:
        store.close()
    assert document["schema"]["current_revision"] == status.current_revision
    assert document["schema"]["head_revision"] == migrate.head_revision()
    assert document["schema_up_to_date"] is True
    assert document["last_maintenance_ms"] == maintenance_ms
    assert document["last_compaction_ms"] == compaction_ms
    local = dt.datetime.fromisoformat(document["last_maintenance"])
    assert int(local.timestamp()) == maintenance_ms // 1000
    assert local.utcoffset() is not None  # a local time with its offset
    assert document["outbox"] == {
        "enabled": False,
        "path": document["outbox"]["path"],
        "depth": 0,
        "error": None,
    }


def test_doctor_masks_secrets_and_fails_on_an_unreachable_server(tmp_path: Path) -> None:
    config = _toml(
        tmp_path / "config.toml",
        f"""
[storage]
provider = "postgresql"
url = "postgresql://learner:{PASSWORD}@127.0.0.1:1/immersion"
password = "{PASSWORD}"
fallback = "none"
connect_timeout_s = 2
outbox_path = "{tmp_path / "outbox.sqlite"}"
""",
    )
    result = invoke("doctor", "--config", config)
    assert result.exit_code == 1
    assert PASSWORD not in result.stdout and PASSWORD not in result.stderr
    assert "storage.password" in result.stdout and "***" in result.stdout
    assert "FAILED" in result.stdout
    (line,) = result.stderr.strip().splitlines()  # one line, after the report
    assert line.startswith("Error: the store cannot be used: ")

    as_json = invoke("doctor", "--config", config, "--json")
    assert as_json.exit_code == 1
    assert PASSWORD not in as_json.stdout and PASSWORD not in as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["config"]["storage"]["password"] == "***"
    assert document["config"]["storage"]["url"] == "***"
    assert document["config_file"] == str(config)
    assert document["connection"]["ok"] is False and document["connection"]["error"]


def test_doctor_masks_a_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMMERSION_STORAGE__PASSWORD", PASSWORD)
    monkeypatch.setenv("IMMERSION_STORAGE__PATH", str(tmp_path / "new.sqlite"))
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.stdout
    assert json.loads(result.stdout)["config"]["storage"]["password"] == "***"


def test_masked_config_hides_secret_looking_options() -> None:
    config = TrackerConfig(
        storage={  # type: ignore[arg-type]
            "provider": "sqlite",
            "options": {"api_token": "t0ken-value", "busy_timeout_ms": 50},
        }
    )
    storage = masked_config(config)["storage"]
    assert storage["options"] == {"api_token": "***", "busy_timeout_ms": 50}
    assert storage["password"] is None and storage["url"] is None  # nothing to hide


def test_doctor_never_creates_a_missing_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "immersion.sqlite"
    result = invoke("doctor", "--db", db)
    assert result.exit_code == 0, result.output
    assert "does not exist yet" in result.stdout
    assert not db.exists() and not db.parent.exists()


def test_doctor_fails_on_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    bogus = _toml(tmp_path / "notes.sqlite", "not a database\n" * 200)
    result = invoke("doctor", "--db", bogus)
    assert result.exit_code == 1
    assert "FAILED" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert "not a database" in line


def test_doctor_shows_an_old_schema_without_upgrading_it(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    store = SqliteStore(db)
    try:
        with store.engine.begin() as connection:
            migrate.upgrade(connection, "0001")
    finally:
        store.close()
    document = _json("--db", db)
    assert document["schema"]["current_revision"] == "0001"
    assert document["schema_up_to_date"] is False
    plain = invoke("doctor", "--db", db)
    assert plain.exit_code == 0 and "0001, head" in plain.stdout
    reopened = SqliteStore(db, read_only=True)
    try:
        assert reopened.schema_status().current_revision == "0001"  # still not upgraded
    finally:
        reopened.close()


def test_doctor_counts_writes_waiting_in_the_outbox(demo_db: Path, tmp_path: Path) -> None:
    outbox_file = tmp_path / "outbox.sqlite"
    outbox = Outbox(outbox_file, 1000, "drop_oldest")
    outbox.append([(UpdateVideoTitle(f"local:/v{i}.mkv", "t", i), False) for i in range(3)])
    outbox.close()
    config = _toml(
        tmp_path / "config.toml",
        f'[storage]\npath = "{demo_db}"\noutbox = "on"\noutbox_path = "{outbox_file}"\n',
    )
    document = _json("--config", config)
    assert document["outbox"] == {
        "enabled": True,
        "path": str(outbox_file),
        "depth": 3,
        "error": None,
    }
    with closing(sqlite3.connect(outbox_file)) as check:  # left as it was
        assert check.execute("SELECT COUNT(*) FROM outbox").fetchone() == (3,)


def test_doctor_on_the_memory_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMMERSION_STORAGE__PROVIDER", "memory")
    document = _json()
    assert document["connection"]["ok"] is True
    assert document["store"] == "MemoryStore"
    assert document["schema_up_to_date"] is True
    assert document["size_bytes"] is None
    assert document["last_maintenance_ms"] is None
