"""``immersion migrate`` between backends: every read identical afterwards, the verification
table matching, the source untouched; refusals and mismatches as one-line errors."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from tests.support.servers import MYSQL_KINDS, require_driver, scratch_database
from tests.support.stores import server_store
from tests.transfer.helpers import (
    ZONE,
    digest,
    everything,
    fill,
    invoke,
    reads,
    server_url,
    sqlite_store,
    sqlite_url,
)

from immersion.stores.sqlite import SqliteStore


def migrate(source: str, destination: str, *extra: str) -> tuple[int, str, str]:
    result = invoke("migrate", "--from", source, "--to", destination, "--batch-size", "700", *extra)
    return result.exit_code, result.stdout, result.stderr


def assert_verified(code: int, stdout: str, stderr: str) -> None:
    assert code == 0, stderr
    assert "Verification" in stdout
    assert "MISMATCH" not in stdout and "MISSING" not in stdout
    assert stdout.count("match") >= 11, stdout  # one row per kind of data


def assert_same(left: SqliteStore, right: object) -> None:
    assert everything(right) == everything(left)  # type: ignore[arg-type]
    assert reads(right) == reads(left)  # type: ignore[arg-type]


def test_sqlite_to_postgresql_and_back(source_sqlite: Path, tmp_path: Path) -> None:
    before = digest(source_sqlite)
    back = tmp_path / "back.sqlite"
    with scratch_database("postgresql") as url:
        assert_verified(*migrate(sqlite_url(source_sqlite), server_url(url)))
        assert digest(source_sqlite) == before  # opened read-only, never written
        source = SqliteStore(source_sqlite, read_only=True, timezone=ZONE)
        server = server_store("postgresql", url, timezone=ZONE)
        try:
            assert_same(source, server)
            # PostgreSQL -> SQLite: the round trip gives the very same store
            assert_verified(*migrate(server_url(url), sqlite_url(back)))
            returned = SqliteStore(back, timezone=ZONE)
            try:
                assert_same(source, returned)
            finally:
                returned.close()
        finally:
            server.close()
            source.close()


@pytest.mark.parametrize("kind", MYSQL_KINDS)
def test_sqlite_to_mariadb(source_sqlite: Path, kind: str) -> None:
    with scratch_database(kind) as url:
        assert_verified(*migrate(sqlite_url(source_sqlite), server_url(url)))
        source = SqliteStore(source_sqlite, read_only=True, timezone=ZONE)
        server = server_store(kind, url, timezone=ZONE)
        try:
            assert_same(source, server)
        finally:
            server.close()
            source.close()


def test_a_destination_holding_data_needs_merge(source_sqlite: Path, tmp_path: Path) -> None:
    other = sqlite_store(tmp_path / "other.sqlite")
    try:
        fill(other, events=2000, seed=99)
    finally:
        other.close()
    code, stdout, stderr = migrate(sqlite_url(source_sqlite), sqlite_url(tmp_path / "other.sqlite"))
    assert code == 1 and stdout == ""
    assert stderr.strip().splitlines() == [
        f"Error: the destination {tmp_path / 'other.sqlite'} already holds data: migrate into "
        "an empty database, or add --merge to merge into it (by session UUID and video key)"
    ]


def test_a_finished_migration_only_verifies_and_fails_on_a_difference(
    source_sqlite: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.sqlite"
    assert_verified(*migrate(sqlite_url(source_sqlite), sqlite_url(destination)))
    code, stdout, stderr = migrate(sqlite_url(source_sqlite), sqlite_url(destination))
    assert_verified(code, stdout, stderr)
    assert "had already finished" in stdout
    with closing(sqlite3.connect(destination)) as db:
        db.execute("UPDATE events SET payload_json = '{}' WHERE id = (SELECT MIN(id) FROM events)")
        db.commit()
    code, stdout, stderr = migrate(sqlite_url(source_sqlite), sqlite_url(destination))
    assert code == 1
    assert "MISMATCH" in stdout
    assert stderr.strip().splitlines() == [
        "Error: verification failed: the destination differs in events"
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("memory://", "a memory store lives only inside one process"),
        ("nope://x", "unknown store URL scheme 'nope'"),
        ("missing.sqlite", "missing.sqlite does not exist"),
    ],
)
def test_bad_sources_are_one_line_errors(tmp_path: Path, source: str, message: str) -> None:
    code, stdout, stderr = migrate(source, sqlite_url(tmp_path / "d.sqlite"))
    assert code != 0 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines


def test_the_same_store_on_both_ends_is_refused(source_sqlite: Path) -> None:
    code, _, stderr = migrate(sqlite_url(source_sqlite), str(source_sqlite))
    assert code == 1
    assert "the source and the destination are the same store" in stderr


def test_the_same_mariadb_database_through_each_driver_is_the_same_store(
    source_sqlite: Path,
) -> None:
    require_driver("mysql-mysqldb")
    with scratch_database("mysql") as url:
        assert_verified(*migrate(sqlite_url(source_sqlite), server_url(url)))
        through_mysqlclient = server_url(url.set(drivername="mysql+mysqldb"))
        code, _, stderr = migrate(server_url(url), through_mysqlclient)
    assert code == 1
    assert "the source and the destination are the same store" in stderr


def test_a_source_at_an_unknown_schema_is_refused_untouched(
    source_sqlite: Path, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(source_sqlite)) as db:
        db.execute("UPDATE immersion_schema_version SET version_num = '9999'")
        db.commit()
    before = digest(source_sqlite)
    code, _, stderr = migrate(sqlite_url(source_sqlite), sqlite_url(tmp_path / "d.sqlite"))
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert "revision '9999'" in stderr and "newer version" in stderr
    assert digest(source_sqlite) == before
