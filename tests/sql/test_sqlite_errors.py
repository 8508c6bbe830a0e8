"""Errors of the SQL layer: one translation boundary, the right class, no secrets, no damage."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from immersion.errors import (
    PermanentStoreError,
    SchemaError,
    StoreError,
    StoreIntegrityError,
    StoreUnavailableError,
    TransientStoreError,
)
from immersion.stores.sql.errors import classify, redact, safe_url, translate_errors
from immersion.stores.sqlite import SqliteStore
from tests.contract.builders import EP1, T0, event, make_video, open_session, sample, start, write
from tests.support.servers import require_driver


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "immersion.sqlite"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    # A short busy timeout keeps the lock tests fast; it is the same code path as 2500 ms.
    opened = SqliteStore(db, busy_timeout_ms=50)
    try:
        opened.create_or_upgrade_schema()
        yield opened
    finally:
        opened.close()


@pytest.fixture
def locked(db: Path, store: SqliteStore) -> Iterator[None]:
    """Another connection holds the write lock (BEGIN EXCLUSIVE) during the test."""
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")


# ----------------------------------------------------------------- through the store


@pytest.mark.usefixtures("locked")
def test_a_locked_database_is_a_transient_error(db: Path, store: SqliteStore) -> None:
    with pytest.raises(TransientStoreError) as raised:
        write(store, make_video(EP1), start("s1", EP1))
    assert not isinstance(raised.value, StoreUnavailableError)
    message = str(raised.value)
    assert "write_batch" in message
    assert str(db) in message
    assert "database is locked" in message
    cause = raised.value.__cause__
    assert isinstance(cause, sa_exc.OperationalError)
    assert isinstance(cause.orig, sqlite3.OperationalError)


def test_reads_go_on_while_another_connection_writes(store: SqliteStore, db: Path) -> None:
    open_session(store, "s1")
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")  # in WAL mode readers are not blocked
        assert [s.session_uuid for s in store.session_summaries()] == ["s1"]
        holder.execute("ROLLBACK")


def test_after_the_lock_is_released_the_same_batch_is_written(db: Path, store: SqliteStore) -> None:
    batch = [make_video(EP1), start("s1", EP1), sample("s1", 1, T0 + 1, lines_seen=2)]
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(TransientStoreError):
            store.write_batch(batch)
        holder.execute("ROLLBACK")
    store.write_batch(batch)
    got = store.get_session("s1")
    assert got is not None and got.counters.lines_seen == 2


def test_a_rolled_back_batch_does_not_poison_the_id_caches(store: SqliteStore) -> None:
    # The video and session get ids inside the transaction, then the batch fails.
    with pytest.raises(StoreIntegrityError, match="unknown session 'ghost'"):
        write(store, make_video(EP1), start("s1", EP1), event("ghost", 1, T0))
    assert store.get_video(EP1) is None
    # Had those ids been cached, this batch would skip the start and point at missing rows.
    write(store, make_video(EP1), start("s1", EP1), sample("s1", 1, T0 + 1, lines_seen=4))
    got = store.get_session("s1")
    assert got is not None and got.counters.lines_seen == 4
    assert store.overview().total_videos == 1


def test_ids_cached_before_a_prune_are_forgotten(store: SqliteStore) -> None:
    from immersion.store import PruneCutoffs
    from tests.contract.builders import finalize

    open_session(store, "s1")
    write(store, finalize("s1", T0 + 1))
    assert store.prune(PruneCutoffs(None, None, T0 + 2, None, None))["sessions"] == 1
    with pytest.raises(StoreIntegrityError, match="unknown session 's1'"):
        write(store, sample("s1", 1, T0 + 3))


def test_an_unwritable_location_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    store = SqliteStore(blocker / "immersion.sqlite")
    try:
        with pytest.raises(StoreUnavailableError, match="unable to open database file"):
            store.create_or_upgrade_schema()
    finally:
        store.close()


# ----------------------------------------------------------------- the classification


def _sqlalchemy_error(orig: BaseException, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    wrapped = sa_exc.DBAPIError.instance(
        "SELECT 1",
        {},
        orig,
        Exception,
        connection_invalidated=invalidated,  # type: ignore[arg-type]
    )
    assert isinstance(wrapped, sa_exc.DBAPIError)
    return wrapped


def _sqlite_error(kind: type[sqlite3.Error], message: str) -> sa_exc.DBAPIError:
    return _sqlalchemy_error(kind(message))


@pytest.mark.parametrize(
    "error,expected",
    [
        (_sqlite_error(sqlite3.OperationalError, "database is locked"), TransientStoreError),
        (
            _sqlite_error(sqlite3.OperationalError, "unable to open database file"),
            StoreUnavailableError,
        ),
        (_sqlite_error(sqlite3.OperationalError, "no such table: videos"), SchemaError),
        (
            _sqlite_error(sqlite3.OperationalError, "attempt to write a readonly database"),
            PermanentStoreError,
        ),
        (_sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed"), StoreIntegrityError),
        (_sqlite_error(sqlite3.DatabaseError, "file is not a database"), PermanentStoreError),
        (
            _sqlalchemy_error(sqlite3.OperationalError("anything"), invalidated=True),
            StoreUnavailableError,
        ),
        (sqlite3.OperationalError("database is locked"), TransientStoreError),
        (sa_exc.TimeoutError("QueuePool limit reached"), TransientStoreError),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), StoreIntegrityError),
    ],
    ids=lambda value: getattr(value, "__name__", None) or type(value).__name__,
)
def test_classification(error: BaseException, expected: type[StoreError]) -> None:
    assert classify(error) is expected


def test_real_sqlite_errors_are_classified_by_their_result_code(db: Path) -> None:
    with closing(sqlite3.connect(db, isolation_level=None)) as connection:
        connection.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.IntegrityError) as duplicate:
            connection.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as syntax:
            connection.execute("SELEC 1")
    assert classify(duplicate.value) is StoreIntegrityError
    # an SQL error is a bug or a schema problem: retrying cannot help
    assert classify(syntax.value) is PermanentStoreError


def test_server_driver_errors_are_classified_by_their_codes() -> None:
    err = pytest.importorskip("pymysql").err
    errors = pytest.importorskip("psycopg").errors
    cases: list[tuple[BaseException, type[StoreError]]] = [
        (err.OperationalError(1213, "Deadlock found"), TransientStoreError),
        (err.OperationalError(2013, "Lost connection"), StoreUnavailableError),
        (err.OperationalError(1045, "Access denied"), StoreUnavailableError),
        (err.IntegrityError(1062, "Duplicate entry"), StoreIntegrityError),
        (err.ProgrammingError(1146, "Table doesn't exist"), SchemaError),
        (errors.DeadlockDetected("deadlock"), TransientStoreError),
        (errors.SerializationFailure("retry"), TransientStoreError),
        (errors.UniqueViolation("dup"), StoreIntegrityError),
        (errors.UndefinedTable("no table"), SchemaError),
        (errors.AdminShutdown("bye"), StoreUnavailableError),
        (errors.InvalidPassword("no"), StoreUnavailableError),
    ]
    for error, expected in cases:
        assert classify(_sqlalchemy_error(error)) is expected, error


# (PEP 249 class, MySQL error number, message, what it is), as both drivers raise them
MYSQL_ERRORS: list[tuple[str, int, str, type[StoreError]]] = [
    ("OperationalError", 1213, "Deadlock found when trying to get lock", TransientStoreError),
    ("OperationalError", 1205, "Lock wait timeout exceeded", TransientStoreError),
    ("OperationalError", 2006, "Server has gone away", StoreUnavailableError),
    ("OperationalError", 2013, "Lost connection to server during query", StoreUnavailableError),
    (
        "OperationalError",
        2002,
        "Can't connect to server (115)",
        StoreUnavailableError,
    ),
    ("OperationalError", 1045, "Access denied for user 'me'", StoreUnavailableError),
    ("OperationalError", 1049, "Unknown database 'imm'", StoreUnavailableError),
    ("DataError", 1406, "Data too long for column 'title' at row 1", StoreIntegrityError),
    ("DataError", 1264, "Out of range value for column 'seq' at row 1", StoreIntegrityError),
    ("IntegrityError", 1062, "Duplicate entry 'x' for key 'PRIMARY'", StoreIntegrityError),
    ("IntegrityError", 1048, "Column 'title' cannot be null", StoreIntegrityError),
    ("ProgrammingError", 1146, "Table 'imm.videos' doesn't exist", SchemaError),
]


@pytest.mark.parametrize("kind,module", [("mysql", "pymysql"), ("mysql-mysqldb", "MySQLdb")])
def test_both_mysql_drivers_errors_are_classified_alike(kind: str, module: str) -> None:
    require_driver(kind)
    driver = importlib.import_module(module)
    for class_name, number, message, expected in MYSQL_ERRORS:
        error = getattr(driver, class_name)(number, message)
        assert classify(error) is expected, (module, number)
        assert classify(_sqlalchemy_error(error)) is expected, (module, number)


def test_translate_errors_keeps_the_cause_and_leaves_other_exceptions_alone() -> None:
    original = _sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed: videos.video_key")
    with pytest.raises(StoreIntegrityError) as raised, translate_errors("write_batch", "/x.sqlite"):
        raise original
    assert raised.value.__cause__ is original
    assert str(raised.value) == (
        "write_batch failed on /x.sqlite: UNIQUE constraint failed: videos.video_key"
    )
    # a bug is not a database error: it passes through untranslated
    with pytest.raises(KeyError), translate_errors("read", "/x.sqlite"):
        raise KeyError("bug")
    # our own errors pass through unchanged
    mine = TransientStoreError("already translated")
    with pytest.raises(TransientStoreError) as again, translate_errors("read", "/x.sqlite"):
        raise mine
    assert again.value is mine


def test_real_sqlalchemy_errors_through_the_boundary(db: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with (
            pytest.raises(SchemaError),
            translate_errors("read", str(db)),
            engine.connect() as connection,
        ):
            connection.execute(sa.text("SELECT * FROM missing_table"))
    finally:
        engine.dispose()


# ----------------------------------------------------------------- no secrets


SECRET = "s3cr3t-p4ss"


def test_messages_never_contain_a_password() -> None:
    url = f"postgresql+psycopg://tracker:{SECRET}@db.example:5432/immersion"
    driver_message = (
        f'connection to "{url}" failed: could not connect; dsn: host=db password={SECRET} user=x'
    )
    with (
        pytest.raises(StoreUnavailableError) as raised,
        translate_errors("connect", safe_url(url), secrets=[SECRET]),
    ):
        raise _sqlalchemy_error(sqlite3.OperationalError(driver_message))
    message = str(raised.value)
    assert SECRET not in message
    assert "tracker:***@db.example" in message
    assert "password=***" in message


def test_redact_and_safe_url() -> None:
    url = f"mysql+pymysql://root:{SECRET}@127.0.0.1/test"
    assert SECRET not in safe_url(url)
    assert safe_url(url) == "mysql+pymysql://root:***@127.0.0.1/test"
    assert redact(f"failed: {url}") == "failed: mysql+pymysql://root:***@127.0.0.1/test"
    assert redact(f"password='{SECRET}' host=h") == "password=*** host=h"
    assert redact(f"x {SECRET} y", [SECRET]) == "x *** y"
    assert redact("sqlite:////home/me/immersion.sqlite") == "sqlite:////home/me/immersion.sqlite"
