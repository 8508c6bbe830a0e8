"""Schema management on the servers: the same Alembic history as SQLite, safe under
concurrent start-ups, exact string columns, upgrades that tell the administrator to back up."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from immersion.config import StorageConfig, TrackerConfig
from immersion.errors import PermanentStoreError, SchemaTooNewError, TransientStoreError
from immersion.localtime import local_today
from immersion.results import SchemaStatus
from immersion.stores.registry import create_store
from immersion.stores.sql import migrate, schema
from tests.contract.builders import EP1, T0, make_video, open_session, start
from tests.support.stores import server_store

HEAD = migrate.head_revision()
PROCESSES = 4


def _version_rows(url: sa.URL) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = f"SELECT version_num FROM {migrate.VERSION_TABLE}"
            return [row[0] for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


def test_concurrent_start_ups_create_the_schema_once(server_kind: str, scratch_url: sa.URL) -> None:
    """Several trackers starting at once on an empty database: one creates the schema (under
    the advisory lock / GET_LOCK), the others wait and find it at the head."""
    stores = [server_store(server_kind, scratch_url, pool_size=1) for _ in range(PROCESSES)]
    barrier = threading.Barrier(PROCESSES)
    results: list[Any] = [None] * PROCESSES

    def start_up(slot: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[slot] = stores[slot].create_or_upgrade_schema()
        except Exception as exc:  # handed to the test thread
            results[slot] = exc

    threads = [threading.Thread(target=start_up, args=(slot,)) for slot in range(PROCESSES)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert all(isinstance(result, SchemaStatus) for result in results), results
        assert {result.current_revision for result in results} == {HEAD}
        assert _version_rows(scratch_url) == [HEAD]
        open_session(stores[0], "s1")
        assert [s.session_uuid for s in stores[-1].session_summaries()] == ["s1"]
    finally:
        for store in stores:
            store.close()


def test_the_migrated_schema_is_exactly_schema_py(server_kind: str, scratch_url: sa.URL) -> None:
    store = server_store(server_kind, scratch_url)
    try:
        store.create_or_upgrade_schema()
        with store.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "version_table": migrate.VERSION_TABLE},
            )
            assert compare_metadata(context, schema.metadata) == []
    finally:
        store.close()


def _string_columns(url: sa.URL, kind: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(table, column) -> (data type, collation) of every string column of our tables."""
    if kind == "postgresql":
        query = (
            "SELECT table_name, column_name, data_type, collation_name "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type IN ('character varying', 'text')"
        )
    else:
        query = (
            "SELECT table_name, column_name, data_type, collation_name "
            "FROM information_schema.columns WHERE table_schema = DATABASE() "
            "AND data_type IN ('varchar', 'longtext', 'text', 'mediumtext')"
        )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(query)).all()
    finally:
        engine.dispose()
    return {(table, column): (kind_, collation) for table, column, kind_, collation in rows}


def test_key_columns_compare_exactly_and_text_is_unbounded(
    server_kind: str, scratch_url: sa.URL
) -> None:
    store = server_store(server_kind, scratch_url)
    try:
        store.create_or_upgrade_schema()
    finally:
        store.close()
    columns = _string_columns(scratch_url, server_kind)
    ours = {name for name in columns if name[0] in schema.metadata.tables}
    assert ("videos", "video_key") in ours and ("videos", "title") in ours
    for name in ours:
        data_type, collation = columns[name]
        if data_type in {"character varying", "varchar"}:
            if server_kind == "postgresql":
                assert collation == "C", name
            else:
                # MariaDB's or MySQL 8's NO PAD binary collation, never the PAD SPACE one
                assert collation in {"utf8mb4_nopad_bin", "utf8mb4_0900_bin"}, name
        else:
            assert data_type in {"text", "longtext"}, name


def test_an_older_schema_is_upgraded_with_backup_advice(
    server_kind: str, scratch_url: sa.URL, caplog: pytest.LogCaptureFixture
) -> None:
    revisions = [script.revision for script in migrate._scripts().walk_revisions()]
    if len(revisions) < 2:
        pytest.skip("only one revision exists: nothing to upgrade from")
    older = revisions[1]  # walk_revisions goes from the head down
    store = server_store(server_kind, scratch_url)
    try:
        with store.begin_schema() as connection:
            migrate.upgrade(connection, older)
        caplog.set_level(logging.WARNING)
        status = store.create_or_upgrade_schema()
        assert (status.upgraded_from, status.current_revision) == (older, HEAD)
        assert status.backup_path is None  # a server database is not copied to a file
        tool = "pg_dump" if server_kind == "postgresql" else "mysqldump"
        assert tool in caplog.text
        assert store.create_or_upgrade_schema().upgraded_from is None
    finally:
        store.close()


def test_a_schema_from_a_newer_version_is_refused(server_kind: str, scratch_url: sa.URL) -> None:
    store = server_store(server_kind, scratch_url)
    try:
        store.create_or_upgrade_schema()
        with store.engine.begin() as connection:
            connection.execute(
                sa.text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'from_the_future'")
            )
        with pytest.raises(SchemaTooNewError, match="from_the_future"):
            store.create_or_upgrade_schema()
    finally:
        store.close()


def test_read_only_reads_and_refuses_writes(server_kind: str, scratch_url: sa.URL) -> None:
    writer = server_store(server_kind, scratch_url)
    reader = server_store(server_kind, scratch_url, read_only=True)
    try:
        writer.create_or_upgrade_schema()
        writer.write_batch([make_video(EP1), start("s1", EP1, T0)])
        assert reader.create_or_upgrade_schema().current_revision == HEAD
        assert [s.session_uuid for s in reader.session_summaries()] == ["s1"]
        with pytest.raises(PermanentStoreError, match="read-only"):
            reader.write_batch([make_video(EP1, "renamed")])
    finally:
        reader.close()
        writer.close()


def test_the_configured_zone_reaches_the_store(server_provider: str, scratch_url: sa.URL) -> None:
    """``timezone`` from the configuration decides the server store's ``today`` too."""
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # 25 hours apart
        storage = StorageConfig(
            provider=server_provider, url=scratch_url.render_as_string(hide_password=False)
        )
        store = create_store(TrackerConfig(storage=storage, timezone=zone))
        try:
            store.create_or_upgrade_schema()
            before = local_today(ZoneInfo(zone))
            [day] = store.streak_calendar(days=1)
            assert day.day in {before, local_today(ZoneInfo(zone))}, zone
        finally:
            store.close()


def test_a_schema_change_waits_for_another_then_gives_up_transiently(
    server_kind: str, server_provider: str, scratch_url: sa.URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the schema lock for longer than the store waits: the start-up
    fails with a ``TransientStoreError`` (try again later), the database untouched."""
    module = importlib.import_module(f"immersion.stores.{server_provider}")
    monkeypatch.setattr(module, "SCHEMA_LOCK_TIMEOUT_S", 1)
    if server_kind == "postgresql":
        take = "SELECT pg_advisory_lock(:kind, hashtext(coalesce(current_schema(), '')))"
        params: dict[str, Any] = {"kind": module._ADVISORY_CLASS}
    else:
        take = f"SELECT GET_LOCK({module._LOCK_NAME}, 0)"
        params = {}
    holder = sa.create_engine(scratch_url, poolclass=sa.NullPool)
    store = server_store(server_kind, scratch_url)
    try:
        with holder.connect() as other:
            other.execute(sa.text(take), params)
            with pytest.raises(TransientStoreError):
                store.create_or_upgrade_schema()
        assert store.create_or_upgrade_schema().current_revision == HEAD  # lock released
    finally:
        store.close()
        holder.dispose()
