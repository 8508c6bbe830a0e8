"""Schema management of the SQLite store: create, refuse too new, upgrade with a backup.

Only one revision exists so far, so the upgrade path is exercised with a test-only revision
placed after the real head in a temporary versions directory (Alembic's ``version_locations``):
the database is created at the real head by the real code, then the store is opened with a
history one revision longer. Nothing about the upgrade machinery is faked; only the extra
revision is. Once issue 4 ships revision 0002, the same test still holds unchanged.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from immersion.errors import PermanentStoreError, SchemaError, SchemaTooNewError, StoreError
from immersion.stores.sql import compaction, migrate, schema
from immersion.stores.sqlite import SqliteStore
from tests.contract.builders import (
    EP1,
    T0,
    event,
    make_video,
    open_session,
    sample,
    start,
    write,
)

HEAD = migrate.head_revision()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "immersion.sqlite"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(db)
    try:
        opened.create_or_upgrade_schema()
        yield opened
    finally:
        opened.close()


def _version(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return [
            row[0] for row in connection.execute("SELECT version_num FROM immersion_schema_version")
        ]


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}


# ----------------------------------------------------------------- a fresh database


def test_a_fresh_database_is_created_and_stamped_at_head(db: Path) -> None:
    store = SqliteStore(db)  # the parent directory does not exist yet
    try:
        status = store.create_or_upgrade_schema()
    finally:
        store.close()
    assert status.current_revision == status.head_revision == HEAD
    assert (status.upgraded_from, status.backup_path) == (None, None)
    assert _version(db) == [HEAD]
    assert set(schema.metadata.tables) <= _tables(db)


def test_the_migrated_schema_is_exactly_schema_py(store: SqliteStore) -> None:
    """The revisions and the tables the queries use cannot drift apart."""
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "version_table": migrate.VERSION_TABLE,
            },
        )
        assert compare_metadata(context, schema.metadata) == []


@pytest.mark.parametrize(
    "name,dialect",
    [
        ("postgresql", postgresql.dialect()),
        ("mysql", mysql.dialect()),
        ("sqlite", sqlite.dialect()),
    ],
)
def test_the_revisions_emit_schema_py_on_every_dialect(name: str, dialect: object) -> None:
    """Offline (no server needed): the DDL of the revisions equals schema.py's, per dialect."""

    def norm(sql: str) -> str:
        return re.sub(r"\s+", " ", sql).replace("( ", "(").replace(" )", ")").strip(" ;")

    script = norm(migrate.upgrade_sql(name))
    for table in schema.metadata.sorted_tables:
        assert norm(str(CreateTable(table).compile(dialect=dialect))) in script, table.name  # type: ignore[arg-type]
        for index in table.indexes:
            assert norm(str(CreateIndex(index).compile(dialect=dialect))) in script  # type: ignore[arg-type]
    if name == "postgresql":
        assert 'COLLATE "C"' in script
    if name == "mysql":
        assert "utf8mb4_bin" in script


def test_pragmas_are_in_effect_on_every_connection(store: SqliteStore) -> None:
    expected = {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": 2500,
        "journal_size_limit": 64 * 1024 * 1024,
    }
    # two connections at once: both must carry the pragmas, not only the first
    with store.engine.connect() as first, store.engine.connect() as second:
        for connection in (first, second):
            got = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in expected}
            assert got == expected


def test_a_database_state_survives_reopening(db: Path, store: SqliteStore) -> None:
    open_session(store, "s1")
    store.set_state("last_vacuum_ms", "123")
    store.close()
    again = SqliteStore(db)
    try:
        assert again.create_or_upgrade_schema().upgraded_from is None
        assert again.get_state("last_vacuum_ms") == "123"
        assert again.get_session("s1") is not None
        assert again.capabilities.durable
    finally:
        again.close()


# ----------------------------------------------------------------- too new


def test_a_database_from_a_newer_version_is_refused_untouched(db: Path, store: SqliteStore) -> None:
    open_session(store, "s1")
    store.close()
    with closing(sqlite3.connect(db)) as connection:
        connection.execute(
            "UPDATE immersion_schema_version SET version_num = 'f00d_from_the_future'"
        )
        connection.commit()
    snapshot = db.read_bytes()

    newer = SqliteStore(db)
    try:
        with pytest.raises(SchemaTooNewError) as raised:
            newer.create_or_upgrade_schema()
    finally:
        newer.close()
    message = str(raised.value)
    assert str(db) in message
    assert "'f00d_from_the_future'" in message
    assert repr(HEAD) in message
    assert "upgrade immersion-tracker" in message
    assert db.read_bytes() == snapshot
    assert _version(db) == ["f00d_from_the_future"]
    assert list(db.parent.glob("*.bak-*")) == []


def test_tables_without_a_revision_are_refused(db: Path) -> None:
    db.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("CREATE TABLE videos (id INTEGER PRIMARY KEY)")
    store = SqliteStore(db)
    try:
        with pytest.raises(SchemaError, match="no schema revision"):
            store.create_or_upgrade_schema()
    finally:
        store.close()


def test_a_file_that_is_not_a_database_is_a_permanent_error(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database, just text " * 100)
    store = SqliteStore(db)
    try:
        with pytest.raises(PermanentStoreError):
            store.create_or_upgrade_schema()
    finally:
        store.close()


# ----------------------------------------------------------------- older: upgrade + backup

_TEST_REVISION = '''
"""Test only: one revision after the real head."""
import sqlalchemy as sa
from alembic import op

revision = "t9_probe"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("probe", sa.Column("id", sa.Integer, primary_key=True))
    # the way Alembic alters a SQLite table: copy it, drop the old one, rename the copy
    with op.batch_alter_table("sessions", recreate="always") as batch:
        batch.add_column(sa.Column("probe", sa.Integer))


def downgrade():
    op.drop_table("probe")
'''


@pytest.fixture
def longer_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the code know one revision more than the package ships; returns its id."""
    versions = tmp_path / "test_versions"
    versions.mkdir()
    (versions / "t9_probe.py").write_text(_TEST_REVISION.format(head=HEAD), encoding="utf-8")
    shipped = migrate.alembic_config

    def config(connection: Connection | None = None) -> Config:
        built = shipped(connection)
        locations = os.pathsep.join([str(migrate.MIGRATIONS_DIR / "versions"), str(versions)])
        built.set_main_option("version_locations", locations.replace("%", "%%"))
        return built

    monkeypatch.setattr(migrate, "alembic_config", config)
    return "t9_probe"


def test_an_older_database_is_backed_up_then_upgraded(
    db: Path, store: SqliteStore, longer_history: str
) -> None:
    open_session(store, "s1")
    write(store, sample("s1", 1, T0 + 1, lines_seen=3), event("s1", 1, T0 + 1))
    store.close()

    newer = SqliteStore(db)
    try:
        status = newer.create_or_upgrade_schema()
        assert (status.current_revision, status.head_revision) == (longer_history,) * 2
        assert status.upgraded_from == HEAD
        assert status.backup_path is not None
        backup = Path(status.backup_path)
        assert backup.parent == db.parent
        assert re.fullmatch(rf"immersion\.sqlite\.bak-{HEAD}-\d{{8}}T\d{{6}}Z", backup.name)
        # the upgraded database keeps its data and has the new table
        assert _version(db) == [longer_history]
        assert "probe" in _tables(db)
        got = newer.get_session("s1")
        assert got is not None and got.counters.lines_seen == 3
        # rebuilding the sessions table did not cascade into its samples and events
        assert [s.seq for s in newer.session_timeline("s1")] == [1]
        assert [e.seq for e in newer.session_events("s1")] == [1]
        with newer.engine.connect() as connection:  # and foreign keys are back on
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # a second open finds it at head: no second backup
        assert newer.create_or_upgrade_schema().upgraded_from is None
    finally:
        newer.close()
    # the backup is a complete, consistent copy at the old revision
    assert _version(backup) == [HEAD]
    assert "probe" not in _tables(backup)
    with closing(sqlite3.connect(backup)) as connection:
        assert connection.execute("SELECT lines_seen FROM sessions").fetchall() == [(3,)]
    assert len(list(db.parent.glob("*.bak-*"))) == 1


def test_a_failed_upgrade_leaves_the_database_at_its_revision(
    db: Path, store: SqliteStore, longer_history: str
) -> None:
    store.close()
    with closing(sqlite3.connect(db)) as connection:  # make the test revision's CREATE TABLE fail
        connection.execute("CREATE TABLE probe (x INTEGER)")
    newer = SqliteStore(db)
    try:
        with pytest.raises(StoreError):
            newer.create_or_upgrade_schema()
    finally:
        newer.close()
    assert _version(db) == [HEAD]


# ----------------------------------------------------------------- read-only


def test_read_only_reads_and_refuses_every_write(db: Path, store: SqliteStore) -> None:
    open_session(store, "s1")
    store.close()
    snapshot = db.read_bytes()
    reader = SqliteStore(db, read_only=True)
    try:
        assert reader.create_or_upgrade_schema().current_revision == HEAD
        assert [s.session_uuid for s in reader.session_summaries()] == ["s1"]
        attempts = {
            "write_batch": lambda: reader.write_batch([make_video(EP1, "x")]),
            "set_state": lambda: reader.set_state("k", "v"),
            "prune": lambda: reader.prune(migrate_cutoffs()),
            "close_stale_sessions": lambda: reader.close_stale_sessions(T0),
            "compact": reader.compact,
        }
        for name, attempt in attempts.items():
            with pytest.raises(PermanentStoreError, match="read-only") as raised:
                attempt()
            assert name in str(raised.value)
            assert str(db) in str(raised.value)
    finally:
        reader.close()
    assert db.read_bytes() == snapshot


def migrate_cutoffs() -> object:
    from immersion.store import PruneCutoffs

    return PruneCutoffs(0, 0, 0, None, None)


def test_read_only_on_a_missing_file_says_so(db: Path) -> None:
    reader = SqliteStore(db, read_only=True)
    try:
        with pytest.raises(StoreError, match="does not exist"):
            reader.create_or_upgrade_schema()
    finally:
        reader.close()
    assert not db.exists()
    assert not db.parent.exists()  # read-only creates nothing, not even the directory


def test_read_only_refuses_to_upgrade(db: Path, store: SqliteStore, longer_history: str) -> None:
    store.close()
    reader = SqliteStore(db, read_only=True)
    try:
        with pytest.raises(SchemaError, match="read-only"):
            reader.create_or_upgrade_schema()
    finally:
        reader.close()
    assert _version(db) == [HEAD]


# ----------------------------------------------------------------- lifecycle


def test_a_closed_store_refuses_use(store: SqliteStore) -> None:
    store.close()
    store.close()
    with pytest.raises(PermanentStoreError, match="closed"):
        store.session_summaries()
    with pytest.raises(PermanentStoreError, match="closed"):
        store.write_batch([])


def test_compact_vacuums_and_keeps_data(
    db: Path, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the free pages of a 100 kB title pass the rule once its floor is lowered (see
    # test_sqlite_compaction.py for the rule itself)
    monkeypatch.setattr(compaction, "REBUILD_MIN_FREE_BYTES", 1024)
    write(store, make_video(EP1, "x" * 100_000), start("s1", EP1))
    write(store, make_video(EP1, "short"))
    store.compact()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA freelist_count").scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM sessions")).scalar() == 1


def test_a_memory_path_is_rejected() -> None:
    with pytest.raises(ValueError, match="MemoryStore"):
        SqliteStore(":memory:")


def test_the_provider_factory_builds_the_configured_store(tmp_path: Path) -> None:
    from immersion.config import StorageConfig
    from immersion.errors import ConfigError
    from immersion.stores.registry import create_store

    config = StorageConfig(path=tmp_path / "c.sqlite", options={"busy_timeout_ms": 100})
    store = create_store(config)
    try:
        assert isinstance(store, SqliteStore)
        store.create_or_upgrade_schema()
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 100
    finally:
        store.close()
    with pytest.raises(ConfigError, match="unknown sqlite storage options: bogus"):
        create_store(StorageConfig(path=tmp_path / "c.sqlite", options={"bogus": 1}))
    with pytest.raises(ConfigError, match="busy_timeout_ms"):
        create_store(StorageConfig(path=tmp_path / "c.sqlite", options={"busy_timeout_ms": "x"}))
