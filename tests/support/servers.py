"""Real PostgreSQL and MariaDB/MySQL servers for the contract suite.

Locally the server tests run only when their environment variable names a server; without it
they skip with a one-line hint. In CI (``CI=true``) they default to the local servers and a
server that cannot be reached FAILS the run: a silently skipped backend is not a pass.

A kind is a server and a driver: ``mysql`` (PyMySQL) and ``mysql-mysqldb`` (mysqlclient) are
the same MariaDB/MySQL server (``IMMERSION_TEST_MYSQL_URL``, whatever driver it names), each
through its own driver. A kind whose driver is not installed skips locally with the command
that installs it, and fails in CI.

Each test gets its own empty PostgreSQL schema or MySQL database, dropped afterwards.
"""

from __future__ import annotations

import atexit
import importlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

__all__ = [
    "MYSQL_KINDS",
    "SERVERS",
    "Server",
    "admin_engine",
    "in_ci",
    "require_driver",
    "scratch_database",
    "server_url",
]


@dataclass(frozen=True)
class Server:
    kind: str
    provider: str  # the storage provider (and module of immersion.stores) it tests
    env: str
    ci_default: str
    driver: str  # SQLAlchemy's drivername, set on the server's URL
    module: str  # the driver's module
    install: str  # how to install it


_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
SERVERS = {
    "postgresql": Server(
        "postgresql",
        "postgresql",
        "IMMERSION_TEST_POSTGRESQL_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg",
        "psycopg",
        'pip install -e ".[postgresql]"',
    ),
    "mysql": Server(
        "mysql",
        "mysql",
        "IMMERSION_TEST_MYSQL_URL",
        _MYSQL_URL,
        "mysql+pymysql",
        "pymysql",
        'pip install -e ".[mysql]"',
    ),
    "mysql-mysqldb": Server(
        "mysql-mysqldb",
        "mysql",
        "IMMERSION_TEST_MYSQL_URL",
        _MYSQL_URL,
        "mysql+mysqldb",
        "MySQLdb",
        'pip install -e ".[mysqlclient]" (needs libmariadb-dev and pkg-config)',
    ),
}
MYSQL_KINDS = [kind for kind, server in SERVERS.items() if server.provider == "mysql"]

_checked: dict[str, str | None] = {}
# One admin engine per kind for the whole run: creating and dropping a scratch database
# then costs two statements, not two new connections.
_admins: dict[str, sa.Engine] = {}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_driver(kind: str) -> None:
    """Skip the calling test (fail it in CI) when the driver of ``kind`` is not installed."""
    server = SERVERS[kind]
    try:
        importlib.import_module(server.module)
    except ImportError:
        message = f"{kind} tests need the {server.module} driver: {server.install}"
        if in_ci():
            pytest.fail(f"{message}; in CI every backend must run", pytrace=False)
        pytest.skip(message)


def server_url(kind: str) -> str:
    """The admin URL of the ``kind`` server, through the kind's driver, or skip/fail the
    calling test as documented."""
    server = SERVERS[kind]
    given = os.environ.get(server.env) or (server.ci_default if in_ci() else None)
    if given is None:
        pytest.skip(f"{kind} tests skipped: set {server.env}={server.ci_default} to run them")
    require_driver(kind)
    url = sa.make_url(given).set(drivername=server.driver).render_as_string(hide_password=False)
    if kind not in _checked:
        _checked[kind] = _probe(url)
    problem = _checked[kind]
    if problem is not None:
        pytest.fail(
            f"{kind} server at {sa.make_url(url).render_as_string(hide_password=True)} is "
            f"unreachable ({problem}); {kind} tests must run when {server.env} is set or CI=true",
            pytrace=False,
        )
    return url


def _probe(url: str) -> str | None:
    engine = sa.create_engine(url, connect_args=_timeout_args(url))
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any failure to reach the server is reported, not raised
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()


def _timeout_args(url: str) -> dict[str, object]:
    return {"connect_timeout": 5}


def admin_engine(kind: str) -> sa.Engine:
    """An autocommit engine on the ``kind`` server's admin URL (skips/fails like
    ``server_url``), shared by the whole test run."""
    url = server_url(kind)
    if kind not in _admins:
        engine = sa.create_engine(
            url, isolation_level="AUTOCOMMIT", pool_size=1, connect_args=_timeout_args(url)
        )
        atexit.register(engine.dispose)
        _admins[kind] = engine
    return _admins[kind]


@contextmanager
def scratch_database(kind: str) -> Iterator[sa.URL]:
    """A URL pointing at a new empty database (MySQL) or schema (PostgreSQL), dropped after.

    For PostgreSQL the schema is selected through the URL's ``options`` query
    (``-csearch_path=<schema>``), which psycopg passes to the server on connect.
    """
    admin = admin_engine(kind)
    name = f"it_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        if kind == "postgresql":
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        else:
            connection.execute(
                sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            )
    if kind == "postgresql":
        url = admin.url.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        url = admin.url.set(database=name)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            if kind == "postgresql":
                connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
            else:
                connection.execute(sa.text(f"DROP DATABASE `{name}`"))
