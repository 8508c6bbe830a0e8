"""The two drivers ``MysqlStore`` runs on, and what each is told when it connects.

- **mysqlclient** (``MySQLdb``, ``mysql+mysqldb``): C, on libmariadb or libmysqlclient. Rows
  are decoded in C: fetching 911 rollup rows of 12 ``BIGINT`` columns takes 1.1 ms (p50)
  against 9.4 ms with PyMySQL, whose reads of hundreds of rows cannot meet the 5 ms target.
  It needs a C compiler and the client library's headers to install.
- **PyMySQL** (``pymysql``, ``mysql+pymysql``): pure Python, installs anywhere.

The URL chooses: ``mysql+mysqldb://`` / ``mariadb+mysqldb://`` mysqlclient,
``mysql+pymysql://`` / ``mariadb+pymysql://`` PyMySQL, and a bare ``mysql://`` /
``mariadb://`` (and the separate host/port/... fields) mysqlclient when it can be imported,
else PyMySQL.

Both get the same session (``connect_arguments``): ``utf8mb4``, the store's ``sql_mode``, a
connect timeout, and with a CA file TLS that is required and verifies the server's
certificate and host name. What stays different is documented in docs/storage/backends.md
(``localhost`` is the Unix socket for mysqlclient, TCP for PyMySQL).
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from sqlalchemy import URL

from ..errors import ConfigError, MissingDriverError
from .sql.errors import parse_url

__all__ = [
    "DRIVERS",
    "MYSQLCLIENT",
    "PYMYSQL",
    "connect_arguments",
    "default_driver",
    "driver_url",
    "require_driver",
]

MYSQLCLIENT = "mysql+mysqldb"
PYMYSQL = "mysql+pymysql"
# In order of preference for a URL that names no driver.
DRIVERS = (MYSQLCLIENT, PYMYSQL)
# URL scheme -> driver (None: the preferred one installed)
_SCHEMES: dict[str, str | None] = {
    "mysql": None,
    "mariadb": None,
    "mysql+mysqldb": MYSQLCLIENT,
    "mariadb+mysqldb": MYSQLCLIENT,
    "mysql+pymysql": PYMYSQL,
    "mariadb+pymysql": PYMYSQL,
}
_MODULES = {MYSQLCLIENT: "MySQLdb", PYMYSQL: "pymysql"}
_INSTALL = {
    MYSQLCLIENT: 'pip install "immersion-tracker[mysqlclient]" (it compiles against the '
    "MariaDB/MySQL client library: apt install libmariadb-dev pkg-config, or brew install "
    "mariadb-connector-c)",
    PYMYSQL: 'pip install "immersion-tracker[mysql]"',
}


def _importable(driver: str) -> bool:
    try:
        importlib.import_module(_MODULES[driver])
    except ImportError:
        return False
    return True


def default_driver() -> str:
    """The driver of a URL that names none: mysqlclient when it imports, else PyMySQL."""
    return MYSQLCLIENT if _importable(MYSQLCLIENT) else PYMYSQL


def driver_url(url: str | URL) -> URL:
    """``url`` with its driver spelled out (``mysql+mysqldb`` or ``mysql+pymysql``); a
    malformed one is refused without echoing it (it may carry a password)."""
    parsed = parse_url(url, engine="MySQL", example="mysql://user:password@host:port/database")
    if parsed.drivername not in _SCHEMES:
        raise ConfigError(
            "a MySQL/MariaDB URL must start with mysql:// or mariadb:// (the driver chosen: "
            "+mysqldb for mysqlclient, +pymysql for PyMySQL), not "
            f"{parsed.drivername}://"
        )
    return parsed.set(drivername=_SCHEMES[parsed.drivername] or default_driver())


def require_driver(driver: str) -> None:
    """``MissingDriverError`` naming what to install when ``driver`` cannot be imported
    (SQLAlchemy would raise a bare ``ModuleNotFoundError`` building the engine)."""
    if not _importable(driver):
        raise MissingDriverError(
            f"{driver}:// needs the {_MODULES[driver]} driver, which is not installed: "
            f"{_INSTALL[driver]}"
        )


def connect_arguments(
    driver: str, *, sql_mode: str, connect_timeout_s: float, ssl_ca: str | None
) -> dict[str, Any]:
    """The keyword arguments of the driver's ``connect``: the same session on both."""
    arguments: dict[str, Any] = {
        "charset": "utf8mb4",
        "init_command": f"SET SESSION sql_mode = '{sql_mode}'",
    }
    if driver == MYSQLCLIENT:
        # The C client counts whole seconds (0 would mean no timeout at all).
        arguments["connect_timeout"] = max(1, math.ceil(connect_timeout_s))
        if ssl_ca is not None:
            # The CA alone leaves TLS optional and unverified; VERIFY_IDENTITY requires it and
            # checks the certificate and the host name (libmariadb: SSL_ENFORCE and
            # SSL_VERIFY_SERVER_CERT).
            arguments["ssl"] = {"ca": ssl_ca}
            arguments["ssl_mode"] = "VERIFY_IDENTITY"
    else:
        arguments["connect_timeout"] = connect_timeout_s
        if ssl_ca is not None:
            # PyMySQL too would encrypt without checking anything given only the CA.
            arguments["ssl_ca"] = ssl_ca
            arguments["ssl_verify_cert"] = True
            arguments["ssl_verify_identity"] = True
    return arguments
