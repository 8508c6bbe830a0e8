"""``immersion demo``: records through the real tracker into the database it is given."""

from __future__ import annotations

from pathlib import Path

from immersion.config import default_data_dir
from immersion.stores.sqlite import SqliteStore
from tests.cli.conftest import invoke, one_line_error


def test_demo_records_sessions_and_prints_the_overview(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    result = invoke("demo", "--db", db, "--days", "2", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert f"sessions into {db}" in result.stdout.replace("\n", " ").replace("  ", " ")
    assert "warning" not in result.stdout  # every write reached the store
    assert "Overview" in result.stdout and "Latest sessions" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
    store = SqliteStore(db)
    try:
        sessions = store.session_summaries(limit=100)
        assert sessions and all(not row.active for row in sessions)
        assert store.overview().total_sessions == len(sessions)
    finally:
        store.close()


def test_demo_with_db_leaves_the_default_data_directory_alone(tmp_path: Path) -> None:
    result = invoke("demo", "--db", tmp_path / "demo.sqlite", "--days", "1")
    assert result.exit_code == 0, result.output
    assert str(default_data_dir()).startswith(str(tmp_path))  # the isolated home
    assert not (default_data_dir() / "immersion-demo.sqlite").exists()


def test_demo_with_a_missing_config_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    result = invoke("demo", "--config", tmp_path / "nope.toml", "--db", tmp_path / "x.sqlite")
    line = one_line_error(result)
    assert result.exit_code == 2
    assert "nope.toml does not exist" in line
    assert not (tmp_path / "x.sqlite").exists()
