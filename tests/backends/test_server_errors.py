"""Failures of the server stores: what the caller sees, and that no password leaks.

Unreachable servers need no server at all (a closed port); refused credentials, TLS,
deadlocks and dropped connections run against the real servers.
"""

from __future__ import annotations

import logging
import ssl
import threading
from typing import Any

import pytest
import sqlalchemy as sa

import immersion
from immersion.errors import StoreUnavailableError, TransientStoreError
from immersion.stores.sql.errors import translate_errors
from tests.support.servers import (
    MYSQL_KINDS,
    SERVERS,
    admin_engine,
    require_driver,
    scratch_database,
    server_url,
)
from tests.support.stores import SERVER_KINDS, server_store

from .helpers import exception_chain

SECRET = "Pa55-w0rd-never-shown"


def assert_no_secret(exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    for link in exception_chain(exc):
        assert SECRET not in str(link)
        assert SECRET not in repr(link)
    assert SECRET not in caplog.text


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_an_unreachable_server_is_unavailable_named_and_masked(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    require_driver(kind)
    caplog.set_level(logging.DEBUG)
    url = f"{SERVERS[kind].driver}://learner:{SECRET}@127.0.0.1:1/immersion"
    store = server_store(kind, url)
    try:
        with pytest.raises(StoreUnavailableError) as raised:
            store.create_or_upgrade_schema()
        message = str(raised.value)
        assert "learner:***@127.0.0.1:1/immersion" in message
        # libmariadb reports a refused connection as "Can't connect ... (115)"
        assert "refused" in message.lower() or "can't connect" in message.lower()
        assert_no_secret(raised.value, caplog)
        with pytest.raises(StoreUnavailableError) as again:
            store.session_summaries()
        assert_no_secret(again.value, caplog)
        assert SECRET not in repr(store) and SECRET not in str(store)
    finally:
        store.close()


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_open_tracker_on_an_unreachable_server_fails_without_the_password(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    require_driver(kind)
    caplog.set_level(logging.DEBUG)
    config = {
        "storage": {
            "provider": SERVERS[kind].provider,
            "fallback": "none",
            "url": f"{SERVERS[kind].driver}://",  # the driver; the fields say the rest
            "host": "127.0.0.1",
            "port": 1,
            "user": "learner",
            "password": SECRET,
            "database": "immersion",
        }
    }
    with pytest.raises(immersion.ImmersionError) as raised:
        immersion.open_tracker(config)
    assert "127.0.0.1:1" in str(raised.value)
    assert_no_secret(raised.value, caplog)


@pytest.mark.parametrize("kind", MYSQL_KINDS)
def test_mysql_refuses_a_wrong_password(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = sa.make_url(server_url(kind)).set(password=SECRET)
    store = server_store(kind, url)
    try:
        with pytest.raises(StoreUnavailableError, match="Access denied") as raised:
            store.create_or_upgrade_schema()
        assert ":***@" in str(raised.value)
        assert_no_secret(raised.value, caplog)
    finally:
        store.close()


def test_postgresql_refuses_an_unknown_role(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = sa.make_url(server_url("postgresql")).set(username="no_such_learner", password=SECRET)
    store = server_store("postgresql", url)
    try:
        with pytest.raises(StoreUnavailableError, match="no_such_learner") as raised:
            store.create_or_upgrade_schema()
        assert_no_secret(raised.value, caplog)
    finally:
        store.close()


def test_postgresql_tls_options_reach_the_server() -> None:
    admin = admin_engine("postgresql")
    with admin.connect() as connection:
        if connection.scalar(sa.text("SHOW ssl")) == "on":
            pytest.skip("this PostgreSQL server speaks TLS; the refusal cannot be shown")
    store = server_store(
        "postgresql", server_url("postgresql"), connect_args={"sslmode": "require"}
    )
    try:
        with pytest.raises(StoreUnavailableError, match="SSL"):
            store.create_or_upgrade_schema()
    finally:
        store.close()


@pytest.mark.parametrize("kind", MYSQL_KINDS)
def test_mysql_with_a_ca_requires_tls(kind: str) -> None:
    """With ``ssl_ca`` both drivers insist on TLS: a server without it is refused, never
    talked to in the clear (a CA alone would leave mysqlclient on "TLS if offered")."""
    with admin_engine(kind).connect() as connection:
        have_ssl = connection.scalar(sa.text("SELECT @@have_ssl"))
    if have_ssl == "YES":
        pytest.skip("this MariaDB/MySQL server speaks TLS; the refusal cannot be shown")
    ca = ssl.get_default_verify_paths().cafile  # any well-formed CA file will do
    if ca is None:
        pytest.skip("no system CA file to hand to the driver")
    store = server_store(kind, server_url(kind), ssl_ca=ca)
    try:
        with pytest.raises(StoreUnavailableError, match="SSL"):
            store.create_or_upgrade_schema()
    finally:
        store.close()


def _contend(engine: sa.Engine, order: tuple[int, int], barrier: threading.Barrier) -> Any:
    """Lock row ``order[0]``, wait for the other thread, then want row ``order[1]``."""
    try:
        with translate_errors("contend", "scratch"), engine.begin() as connection:
            bump = sa.text("UPDATE contended SET v = v + 1 WHERE id = :id")
            connection.execute(bump, {"id": order[0]})
            barrier.wait(timeout=30)
            connection.execute(bump, {"id": order[1]})
        return None
    except Exception as exc:  # handed to the test thread
        return exc


def test_a_deadlock_is_a_transient_error(server_kind: str, scratch_url: sa.URL) -> None:
    """The tracker retries ``TransientStoreError``: a deadlock must be one, not a lost batch."""
    engine = sa.create_engine(scratch_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE contended (id INT PRIMARY KEY, v INT)"))
            connection.execute(sa.text("INSERT INTO contended VALUES (1, 0), (2, 0)"))
        barrier = threading.Barrier(2)
        results: list[Any] = [None, None]

        def run(slot: int, order: tuple[int, int]) -> None:
            results[slot] = _contend(engine, order, barrier)

        threads = [
            threading.Thread(target=run, args=(0, (1, 2))),
            threading.Thread(target=run, args=(1, (2, 1))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        failures = [result for result in results if result is not None]
        assert len(failures) == 1, results  # the server picks one victim
        assert isinstance(failures[0], TransientStoreError)
        assert "deadlock" in str(failures[0]).lower()
    finally:
        engine.dispose()


def test_a_serialization_failure_is_a_transient_error() -> None:
    with scratch_database("postgresql") as url:
        _serialization_failure(url)


def _serialization_failure(url: sa.URL) -> None:
    engine = sa.create_engine(url, isolation_level="SERIALIZABLE")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE ledger (n INT)"))
        first, second = engine.connect(), engine.connect()
        try:
            for connection in (first, second):
                connection.execute(sa.text("SELECT count(*) FROM ledger")).scalar()
            first.execute(sa.text("INSERT INTO ledger VALUES (1)"))
            second.execute(sa.text("INSERT INTO ledger VALUES (2)"))
            first.commit()
            with pytest.raises(TransientStoreError), translate_errors("commit", "scratch"):
                second.commit()
        finally:
            first.close()
            second.close()
    finally:
        engine.dispose()


def _server_connection_id(store_engine: sa.Engine, kind: str) -> int:
    query = "SELECT pg_backend_pid()" if kind == "postgresql" else "SELECT CONNECTION_ID()"
    with store_engine.connect() as connection:
        return int(connection.scalar(sa.text(query)))


def _kill(kind: str, connection_id: int) -> None:
    with admin_engine(kind).connect() as admin:
        if kind == "postgresql":
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": connection_id})
        else:
            admin.execute(sa.text(f"KILL {int(connection_id)}"))


@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre_ping", "no_pre_ping"])
def test_a_connection_the_server_dropped(
    server_kind: str, scratch_url: sa.URL, pre_ping: bool
) -> None:
    """With pre-ping the pool replaces it unnoticed; without, the read fails as unavailable
    (and the next one works again)."""
    store = server_store(server_kind, scratch_url, pool_size=1, pre_ping=pre_ping)
    try:
        store.create_or_upgrade_schema()
        # the reads' own pool (autocommit) holds the connection a read will use
        _kill(server_kind, _server_connection_id(store.read_engine, server_kind))
        if pre_ping:
            assert store.session_summaries() == []
        else:
            with pytest.raises(StoreUnavailableError):
                store.session_summaries()
            assert store.session_summaries() == []
    finally:
        store.close()


def test_reads_run_in_autocommit_on_a_pool_of_their_own(
    server_kind: str, scratch_url: sa.URL
) -> None:
    """READ COMMITTED gives each statement its own snapshot anyway: reads skip the BEGIN and
    ROLLBACK round trips; writes keep their transactions."""
    store = server_store(server_kind, scratch_url, pool_size=1)
    try:
        store.create_or_upgrade_schema()
        assert _autocommit(store.read_engine, server_kind) is True
        assert _autocommit(store.engine, server_kind) is False
        with store.engine.connect() as connection:
            assert connection.get_isolation_level() == "READ COMMITTED"
    finally:
        store.close()


def _autocommit(engine: sa.Engine, kind: str) -> bool:
    with engine.connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        return bool(raw.autocommit if kind == "postgresql" else raw.get_autocommit())
