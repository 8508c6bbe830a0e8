"""Connection options of the server stores: URL or fields, TLS, pool, timeouts, secrets.

No server is needed: a ``do_connect`` listener records what the driver would receive and
stops the connection before it is made.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
import sqlalchemy as sa

from immersion.composition import outbox_path
from immersion.config import TrackerConfig
from immersion.errors import ConfigError, MissingDriverError
from immersion.stores import mysql, postgresql
from immersion.stores.mysql_drivers import default_driver
from immersion.stores.registry import create_store, store_identity
from immersion.stores.sql.base import SqlStore
from tests.support.servers import require_driver

SECRET = "Pa55-w0rd-never-shown"
PROVIDERS = ["postgresql", "mysql"]
MODULES = {"postgresql": postgresql, "mysql": mysql}
# mysql: a URL without a driver gets mysqlclient when it is installed, else PyMySQL
DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": default_driver()}
PORTS = {"postgresql": 5432, "mysql": 3306}


class _Stop(Exception):
    """Raised by the listener so that nothing connects."""


def config(provider: str, **storage: Any) -> TrackerConfig:
    return TrackerConfig(storage={"provider": provider, **storage})


def driver_arguments(store: SqlStore) -> dict[str, Any]:
    """The keyword arguments the driver's ``connect`` would receive."""
    seen: dict[str, Any] = {}

    def record(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)
        raise _Stop

    sa.event.listen(store.engine, "do_connect", record)
    with pytest.raises(_Stop):
        store.engine.connect()
    return seen


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_url_is_normalized_to_the_driver(provider: str) -> None:
    url = f"{provider}://learner:{SECRET}@db.example:6000/immersion"
    got = MODULES[provider].url_from_config(config(provider, url=url).storage)
    assert got.drivername == DRIVERS[provider]
    assert (got.host, got.port, got.username, got.password, got.database) == (
        "db.example",
        6000,
        "learner",
        SECRET,
        "immersion",
    )


@pytest.mark.parametrize(
    "url", ["postgres://h/db", "postgresql+psycopg://h/db", "postgresql://h/db"]
)
def test_postgresql_spellings(url: str) -> None:
    assert postgresql.url_from_config(config("postgresql", url=url).storage).drivername == (
        "postgresql+psycopg"
    )


@pytest.mark.parametrize(
    "url,driver",
    [
        ("mysql+pymysql://h/db", "mysql+pymysql"),
        ("mariadb+pymysql://h/db", "mysql+pymysql"),
        ("mysql+mysqldb://h/db", "mysql+mysqldb"),
        ("mariadb+mysqldb://h/db", "mysql+mysqldb"),
    ],
)
def test_a_driver_in_the_url_is_kept(url: str, driver: str) -> None:
    assert mysql.url_from_config(config("mysql", url=url).storage).drivername == driver


def _without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    # A None entry in sys.modules makes "import module" raise ImportError.
    monkeypatch.setitem(sys.modules, module, None)


# A URL without a driver, and the separate fields (which name none either).
UNNAMED = [{"url": "mysql://h/db"}, {"url": "mariadb://h/db"}, {"host": "h", "database": "db"}]


@pytest.mark.parametrize("storage", UNNAMED)
def test_without_a_driver_named_mysqlclient_is_chosen(storage: dict[str, Any]) -> None:
    require_driver("mysql-mysqldb")
    got = mysql.url_from_config(config("mysql", **storage).storage)
    assert got.drivername == "mysql+mysqldb"


@pytest.mark.parametrize("storage", UNNAMED)
def test_without_a_driver_named_or_mysqlclient_pymysql_is_chosen(
    storage: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _without(monkeypatch, "MySQLdb")
    got = mysql.url_from_config(config("mysql", **storage).storage)
    assert got.drivername == "mysql+pymysql"


@pytest.mark.parametrize(
    "url,module,extra",
    [
        ("mysql+mysqldb://h/db", "MySQLdb", "mysqlclient"),
        ("mysql+pymysql://h/db", "pymysql", "mysql"),
    ],
)
def test_a_driver_named_but_not_installed_names_its_extra(
    url: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without(monkeypatch, module)
    with pytest.raises(MissingDriverError, match=rf'pip install "immersion-tracker\[{extra}\]"'):
        create_store(config("mysql", url=url))


def test_with_neither_driver_the_provider_names_the_pure_python_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "MySQLdb")
    _without(monkeypatch, "pymysql")
    with pytest.raises(MissingDriverError, match=r'immersion-tracker\[mysql\]"') as raised:
        create_store(config("mysql", url="mysql://h/db"))
    assert "MySQLdb or pymysql" in str(raised.value)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_separate_fields_build_the_url(provider: str) -> None:
    storage = config(
        provider, host="db.example", port=7000, user="me", password=SECRET, database="imm"
    ).storage
    got = MODULES[provider].url_from_config(storage)
    assert got.render_as_string(hide_password=False) == (
        f"{DRIVERS[provider]}://me:{SECRET}@db.example:7000/imm"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_fields_override_the_matching_part_of_the_url(provider: str) -> None:
    # e.g. the URL in the file, the password from IMMERSION_STORAGE__PASSWORD
    storage = config(provider, url=f"{provider}://me@db.example/imm", password=SECRET).storage
    got = MODULES[provider].url_from_config(storage)
    assert (got.username, got.password, got.host, got.database) == (
        "me",
        SECRET,
        "db.example",
        "imm",
    )


def test_the_password_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMMERSION_STORAGE__PROVIDER", "postgresql")
    monkeypatch.setenv("IMMERSION_STORAGE__URL", "postgresql://me@db.example/imm")
    monkeypatch.setenv("IMMERSION_STORAGE__PASSWORD", SECRET)
    loaded = TrackerConfig()
    assert postgresql.url_from_config(loaded.storage).password == SECRET
    assert SECRET not in repr(loaded)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "storage,needle",
    [
        ({}, "needs storage.url or storage.host"),
        ({"url": "{p}:///imm"}, "needs a host"),
        ({"host": "db.example"}, "needs a database"),
        ({"url": "sqlite:///x.db"}, "must start with"),
        ({"url": "{p}://u:SECRET@db.example:notaport/imm"}, "malformed"),
        ({"url": "not a url SECRET"}, "malformed"),
        ({"host": "h", "database": "d", "options": {"colour": "red"}}, "unknown"),
        ({"host": "h", "database": "d", "options": {"read_only": "yes"}}, "read_only"),
    ],
)
def test_configuration_mistakes_are_config_errors(
    provider: str, storage: dict[str, Any], needle: str
) -> None:
    if "url" in storage:
        storage = {**storage, "url": storage["url"].format(p=provider).replace("SECRET", SECRET)}
    with pytest.raises(ConfigError, match=needle) as raised:
        create_store(config(provider, **storage))
    assert SECRET not in str(raised.value)


def test_tls_options_belong_to_their_engine(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="ssl_ca is a MySQL option"):
        create_store(config("postgresql", host="h", database="d", ssl_ca="/ca.pem"))
    with pytest.raises(ConfigError, match="PostgreSQL options"):
        create_store(config("mysql", host="h", database="d", sslmode="require"))
    missing = tmp_path / "missing.pem"
    with pytest.raises(ConfigError, match="no such file"):
        create_store(config("mysql", host="h", database="d", ssl_ca=str(missing)))
    with pytest.raises(ConfigError, match="no such file"):
        create_store(config("postgresql", host="h", database="d", sslrootcert=str(missing)))


def test_postgresql_connection_options_reach_psycopg(tmp_path: Any) -> None:
    root = tmp_path / "root.pem"
    root.write_text("not checked before connecting")
    store = create_store(
        config(
            "postgresql",
            host="db.example",
            database="imm",
            password=SECRET,
            sslmode="verify-full",
            sslrootcert=str(root),
            pool_size=7,
            connect_timeout_s=3.5,
            pre_ping=False,
        )
    )
    assert isinstance(store, postgresql.PostgresqlStore)
    try:
        arguments = driver_arguments(store)
        assert arguments["sslmode"] == "verify-full"
        assert arguments["sslrootcert"] == str(root)
        assert arguments["connect_timeout"] == 4  # libpq counts whole seconds
        assert arguments["password"] == SECRET
        for engine in (store.engine, store.read_engine):  # reads have a pool of their own
            assert isinstance(engine.pool, sa.QueuePool)
            assert engine.pool.size() == 7
            assert engine.pool._pre_ping is False
        assert store.read_engine is not store.engine
    finally:
        store.close()


# What each driver is told for the same configuration: TLS required and verified against
# the CA (certificate and host name), the timeout (mysqlclient counts whole seconds).
MYSQL_ARGUMENTS = {
    "mysql-mysqldb": lambda ca: {
        "ssl": {"ca": ca},
        "ssl_mode": "VERIFY_IDENTITY",
        "connect_timeout": 3,
    },
    "mysql": lambda ca: {
        "ssl_ca": ca,
        "ssl_verify_cert": True,
        "ssl_verify_identity": True,
        "connect_timeout": 2.5,
    },
}


@pytest.mark.parametrize("kind,driver", [("mysql", "pymysql"), ("mysql-mysqldb", "mysqldb")])
def test_mysql_connection_options_reach_the_driver(tmp_path: Any, kind: str, driver: str) -> None:
    require_driver(kind)
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked before connecting")
    url = f"mysql+{driver}://me@db.example/imm"
    store = create_store(config("mysql", url=url, ssl_ca=str(ca), connect_timeout_s=2.5))
    assert isinstance(store, mysql.MysqlStore)
    try:
        assert store.engine.dialect.driver == driver
        arguments = driver_arguments(store)
        for name, value in MYSQL_ARGUMENTS[kind](str(ca)).items():
            assert arguments[name] == value, name
        other = next(k for k in MYSQL_ARGUMENTS if k != kind)  # none of the other's names
        assert not (set(MYSQL_ARGUMENTS[other](str(ca))) - {"connect_timeout"}) & set(arguments)
        assert arguments["charset"] == "utf8mb4"
        assert "STRICT_ALL_TABLES" in arguments["init_command"]
        for engine in (store.engine, store.read_engine):  # reads have a pool of their own
            assert isinstance(engine.pool, sa.QueuePool)
            assert engine.pool.size() == 5  # the default
            assert engine.pool._pre_ping is True
        assert store.read_engine is not store.engine
    finally:
        store.close()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_password_is_never_in_repr_str_or_database(provider: str) -> None:
    store = create_store(config(provider, url=f"{provider}://me:{SECRET}@db.example/imm"))
    try:
        assert isinstance(store, SqlStore)
        for text in (repr(store), str(store), store.database, repr(store.engine)):
            assert SECRET not in text
        # named with host:port even when the URL leaves the port to its default
        assert f"me:***@db.example:{PORTS[provider]}/imm" in store.database
    finally:
        store.close()


def test_each_driver_is_imported_only_when_its_provider_is_chosen() -> None:
    script = textwrap.dedent(
        """
        import sys
        from immersion.config import TrackerConfig
        from immersion.stores.registry import create_store

        def build(provider):
            config = TrackerConfig(storage={"provider": provider, "host": "h", "database": "d"})
            create_store(config).close()

        def loaded():
            mysql = "pymysql" in sys.modules or "MySQLdb" in sys.modules
            print("psycopg" in sys.modules, mysql)

        build("memory")
        loaded()
        build("postgresql")
        loaded()
        build("mysql")
        loaded()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split("\n")[:3] == ["False False", "True False", "True True"]


def test_the_driver_is_shown_but_the_database_keeps_its_identity() -> None:
    """repr and doctor show the driver; the outbox file and migration checkpoints are named
    after the database, whichever driver reaches it (and as they were before mysqlclient)."""
    require_driver("mysql-mysqldb")
    configs = [
        config("mysql", url=f"mysql+{d}://me:{SECRET}@db/imm") for d in ("pymysql", "mysqldb")
    ]
    stores = [create_store(c) for c in configs]
    try:
        assert [repr(store) for store in stores] == [
            "MysqlStore('mysql+pymysql://me:***@db:3306/imm')",
            "MysqlStore('mysql+mysqldb://me:***@db:3306/imm')",
        ]
        assert {store_identity(store) for store in stores} == {repr(stores[0])}
        assert outbox_path(configs[0], stores[0]) == outbox_path(configs[1], stores[1])
    finally:
        for store in stores:
            store.close()
