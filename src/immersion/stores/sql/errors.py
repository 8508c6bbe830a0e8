"""The one boundary where SQLAlchemy and driver exceptions become ``immersion.errors``.

Every public method of a SQL store runs inside ``translate_errors``; nothing else in the SQL
stores catches driver exceptions. The original exception is kept as ``__cause__``; the new
message names the operation and the database (with any password replaced by ``***``) and the
first line of the driver's message (redacted too).

Classification, most specific first:

- the engine's own codes: SQLite result names (``SQLITE_BUSY``), PostgreSQL SQLSTATEs
  (``40P01``), MySQL error numbers (``1213``);
- a PEP 249 ``IntegrityError``/``DataError`` is ``StoreIntegrityError`` unless its code says
  otherwise;
- then the words of the message (``database is locked``, ``server has gone away``);
- then the PEP 249 class: ``IntegrityError``/``DataError`` -> ``StoreIntegrityError``,
  ``OperationalError`` -> ``TransientStoreError``, ``InterfaceError`` ->
  ``StoreUnavailableError``, anything else -> ``PermanentStoreError``.

A lost connection (SQLAlchemy's ``connection_invalidated``) is always
``StoreUnavailableError``. Values a driver cannot bind (an ``int`` beyond 64 bits, a string
with a lone surrogate) are ``StoreIntegrityError``: the same write fails the same way again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from ...errors import (
    ConfigError,
    PermanentStoreError,
    SchemaError,
    StoreError,
    StoreIntegrityError,
    StoreUnavailableError,
    TransientStoreError,
)

__all__ = ["classify", "parse_url", "redact", "safe_url", "translate_errors"]

_Kind = type[StoreError]

# SQLite extended result names (sqlite3.Error.sqlite_errorname, Python 3.11+), by prefix.
_SQLITE_CODES: tuple[tuple[str, _Kind], ...] = (
    ("SQLITE_BUSY", TransientStoreError),
    ("SQLITE_LOCKED", TransientStoreError),
    ("SQLITE_FULL", TransientStoreError),
    ("SQLITE_IOERR", TransientStoreError),
    ("SQLITE_CANTOPEN", StoreUnavailableError),
    ("SQLITE_CONSTRAINT", StoreIntegrityError),
    ("SQLITE_MISMATCH", StoreIntegrityError),
    ("SQLITE_TOOBIG", StoreIntegrityError),
    ("SQLITE_READONLY", PermanentStoreError),
    ("SQLITE_CORRUPT", PermanentStoreError),
    ("SQLITE_NOTADB", PermanentStoreError),
)

# PostgreSQL SQLSTATE (psycopg's ``sqlstate``), exact codes first, then classes.
_PG_CODES: dict[str, _Kind] = {
    "40001": TransientStoreError,  # serialization_failure
    "40P01": TransientStoreError,  # deadlock_detected
    "55P03": TransientStoreError,  # lock_not_available
    "57014": TransientStoreError,  # query_canceled (statement timeout)
    "53300": StoreUnavailableError,  # too_many_connections
    "57P01": StoreUnavailableError,  # admin_shutdown
    "57P02": StoreUnavailableError,  # crash_shutdown
    "57P03": StoreUnavailableError,  # cannot_connect_now
    "3D000": StoreUnavailableError,  # invalid_catalog_name (no such database)
    "42P01": SchemaError,  # undefined_table
    "42703": SchemaError,  # undefined_column
    "08": StoreUnavailableError,  # connection_exception
    "28": StoreUnavailableError,  # invalid_authorization_specification
    "23": StoreIntegrityError,  # integrity_constraint_violation
    "22": StoreIntegrityError,  # data_exception
}

# MySQL/MariaDB error numbers (``args[0]`` of PyMySQL's and mysqlclient's exceptions).
_MYSQL_CODES: dict[int, _Kind] = {
    1205: TransientStoreError,  # lock wait timeout
    1213: TransientStoreError,  # deadlock
    1020: TransientStoreError,  # record changed since last read (MariaDB snapshot isolation)
    1040: StoreUnavailableError,  # too many connections
    1045: StoreUnavailableError,  # access denied
    1044: StoreUnavailableError,  # access denied to database
    1049: StoreUnavailableError,  # unknown database
    1130: StoreUnavailableError,  # host not allowed to connect
    2026: StoreUnavailableError,  # TLS connection error
    2002: StoreUnavailableError,  # can't connect (libmariadb: also a refused TCP connection)
    2003: StoreUnavailableError,  # can't connect
    2005: StoreUnavailableError,  # unknown host
    2006: StoreUnavailableError,  # server has gone away
    2013: StoreUnavailableError,  # lost connection during query
    1146: SchemaError,  # table doesn't exist
    1054: SchemaError,  # unknown column
}

# The MySQL drivers' modules: their exceptions carry the server's error number first.
_MYSQL_MODULES = ("pymysql", "MySQLdb")

_MESSAGES: tuple[tuple[tuple[str, ...], _Kind], ...] = (
    (
        (
            "database is locked",
            "database table is locked",
            "lock wait timeout",
            "deadlock",
            "could not serialize",
            "could not obtain lock",
            "database or disk is full",
            "disk i/o error",
        ),
        TransientStoreError,
    ),
    (
        (
            "unable to open database file",
            "connection failed",  # psycopg: every failure to connect (refused, role, TLS)
            "connection refused",
            "could not connect",
            "can't connect",
            "lost connection",
            "server has gone away",
            "server closed the connection",
            "connection reset",
            "connection timed out",
            "connection is closed",
            "terminating connection",
            "too many connections",
            "too many clients",
            "password authentication failed",
            "access denied",
        ),
        StoreUnavailableError,
    ),
    (("no such table", "no such column", "doesn't exist", "unknown column"), SchemaError),
    (
        (
            "readonly database",
            "read-only",
            "file is not a database",
            "malformed",
            "integer overflow",
        ),
        PermanentStoreError,
    ),
)

# PEP 249 class names, checked along the exception's MRO.
_CLASSES: tuple[tuple[str, _Kind], ...] = (
    ("IntegrityError", StoreIntegrityError),
    ("DataError", StoreIntegrityError),
    ("OperationalError", TransientStoreError),
    ("InternalError", TransientStoreError),
    ("InterfaceError", StoreUnavailableError),
)

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)[^@\s]*@")
_DSN_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'[^']*'|\"[^\"]*\"|\S+)", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with passwords of URLs and DSNs, and each of ``secrets``, replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    return _DSN_PASSWORD.sub(r"\g<head>***", text)


def parse_url(url: str | URL, *, engine: str, example: str) -> URL:
    """``url`` parsed; a malformed one is a ``ConfigError`` that does not echo it (it may
    carry a password) but names the ``engine`` and shows an ``example``."""
    try:
        return make_url(url)
    except (sa_exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(
            f"the {engine} URL is malformed (not shown, it may hold a password); expected {example}"
        ) from None


def safe_url(url: str | URL) -> str:
    """A database URL fit for messages and logs: the password shown as ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return redact(str(url))


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception behind a SQLAlchemy wrapper (or ``exc`` itself)."""
    if isinstance(exc, sa_exc.StatementError) and exc.orig is not None:
        return exc.orig
    return exc


def _by_code(error: BaseException) -> _Kind | None:
    sqlite_name = getattr(error, "sqlite_errorname", None)
    if isinstance(sqlite_name, str):
        for prefix, kind in _SQLITE_CODES:
            if sqlite_name.startswith(prefix):
                return kind
        if sqlite_name == "SQLITE_ERROR":  # an SQL error (no such table, syntax): never a lock
            return _by_message(_first_line(error)) or PermanentStoreError
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _PG_CODES.get(sqlstate) or _PG_CODES.get(sqlstate[:2])
    if type(error).__module__.startswith(_MYSQL_MODULES) and error.args:
        number = error.args[0]
        if isinstance(number, int):
            return _MYSQL_CODES.get(number)
    return None


def _by_message(message: str) -> _Kind | None:
    lowered = message.lower()
    for needles, kind in _MESSAGES:
        if any(needle in lowered for needle in needles):
            return kind
    return None


def _by_class(error: BaseException) -> _Kind | None:
    names = {klass.__name__ for klass in type(error).__mro__}
    for name, kind in _CLASSES:
        if name in names:
            return kind
    return None


def _is_integrity(error: BaseException) -> bool:
    return _by_class(error) is StoreIntegrityError


def classify(exc: BaseException) -> _Kind | None:
    """The ``StoreError`` class for a SQLAlchemy/driver exception; ``None``: not a DB error."""
    if isinstance(exc, StoreError):
        return type(exc)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return StoreUnavailableError
    if isinstance(exc, sa_exc.DisconnectionError):
        return StoreUnavailableError
    if isinstance(exc, sa_exc.TimeoutError):  # connection pool exhausted
        return TransientStoreError
    error = _driver_error(exc)
    if isinstance(error, OverflowError | UnicodeError):
        return StoreIntegrityError
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        return StoreIntegrityError  # a value could not be bound
    is_dbapi = isinstance(exc, sa_exc.DBAPIError) or type(error).__module__.split(".")[0] in {
        "sqlite3",
        "psycopg",
        *_MYSQL_MODULES,
    }
    if not is_dbapi:
        return None
    if _is_integrity(error):
        return _by_code(error) or StoreIntegrityError
    return (
        _by_code(error)
        or _by_message(_first_line(error))
        or _by_class(error)
        or PermanentStoreError
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextmanager
def translate_errors(operation: str, target: str, *, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Run the block, re-raising database exceptions as the matching ``StoreError``.

    ``operation`` says what was being done (``"write_batch"``), ``target`` which database
    (a path or a URL; it is redacted again here). ``StoreError`` passes through unchanged;
    exceptions that do not come from the database (bugs) are not touched.
    """
    secret_list = tuple(secrets)
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        kind = classify(exc)
        if kind is None:
            raise
        detail = _first_line(_driver_error(exc))
        message = redact(f"{operation} failed on {target}: {detail}", secret_list)
        raise kind(message) from exc
