"""The two ends of a transfer: a store named on the command line, opened for its role.

A name is one of:

- a store URL: ``sqlite:///relative/path.sqlite``, ``sqlite:////absolute/path.sqlite``,
  ``postgresql+psycopg://user:password@host:port/database`` (``postgresql://`` too),
  ``mysql://user:password@host:port/database`` (``mariadb://``, ``mysql+mysqldb://``,
  ``mysql+pymysql://`` too);
- a configuration file (a path ending in ``.toml``): its ``[storage]`` section;
- any other path: an SQLite database file.

A **source** is opened read-only (SQLite ``mode=ro``; a server store that refuses writes) and
must already be at this version's schema: it is never created, upgraded or written. A
**destination** gets its schema created or upgraded (a newer one is refused).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..config import StorageConfig, TrackerConfig, load_config
from ..errors import ConfigError
from ..store import ImmersionTrackingStore
from ..stores.registry import create_store, store_identity
from ..stores.sql.errors import safe_url
from . import TransferError

__all__ = ["Endpoint", "describe", "open_endpoint", "storage_for"]

Role = Literal["source", "destination"]
_SERVER_SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
# Built-in providers whose ``storage.options`` accept ``read_only``.
_READ_ONLY_PROVIDERS = {"sqlite", "postgresql", "mysql"}


@dataclass
class Endpoint:
    """An opened store and how to name it."""

    store: ImmersionTrackingStore
    label: str  # for messages: a path, or a URL without its password
    identity: str  # stable across runs: names the migration's checkpoints

    def close(self) -> None:
        self.store.close()


def storage_for(name: str, config: TrackerConfig) -> TrackerConfig:
    """The configuration of the store ``name`` designates (see the module docstring);
    ``config`` supplies the time zone (and, for a ``.toml`` name, nothing: the file wins)."""
    if "://" in name:
        scheme = name.split("://", 1)[0].split("+", 1)[0].lower()
        if scheme == "sqlite":
            try:
                database = make_url(name).database
            except ArgumentError:
                raise ConfigError(f"malformed SQLite URL {name!r}") from None
            if not database or database == ":memory:":
                raise ConfigError(f"{name!r} names no database file")
            storage = StorageConfig(provider="sqlite", path=Path(database).expanduser())
        elif scheme in _SERVER_SCHEMES:
            storage = StorageConfig(provider=_SERVER_SCHEMES[scheme], url=name)
        elif scheme == "memory":
            raise ConfigError(
                "a memory store lives only inside one process: there is nothing to migrate "
                "from or to (use export and import in your own program instead)"
            )
        else:
            raise ConfigError(
                f"unknown store URL scheme {scheme!r}: expected sqlite://, postgresql:// or "
                "mysql:// (or a path to a .toml configuration or an SQLite file)"
            )
        return config.model_copy(update={"storage": storage})
    path = Path(name).expanduser()
    if path.suffix.lower() == ".toml":
        if not path.is_file():
            raise ConfigError(f"configuration file {path} does not exist")
        return load_config(path)
    return config.model_copy(update={"storage": StorageConfig(provider="sqlite", path=path)})


def describe(config: TrackerConfig) -> str:
    """The store of ``config`` for messages (no password)."""
    storage = config.storage
    if storage.provider == "sqlite":
        return str(storage.sqlite_path().expanduser().absolute())
    if storage.url is not None:
        return safe_url(storage.url.get_secret_value())
    return f"{storage.provider} store at {storage.host or '?'}/{storage.database or '?'}"


def open_endpoint(config: TrackerConfig, role: Role) -> Endpoint:
    """Open the store of ``config`` for ``role`` (see the module docstring)."""
    storage = config.storage
    label = describe(config)
    if role == "source":
        if storage.provider == "sqlite" and not storage.sqlite_path().expanduser().is_file():
            raise TransferError(f"the source {label} does not exist")
        if storage.provider in _READ_ONLY_PROVIDERS:
            options = {**storage.options, "read_only": True}
            config = config.model_copy(
                update={"storage": storage.model_copy(update={"options": options})}
            )
    store = create_store(config)
    try:
        # Read-only: only checks that the schema is this version's (never changes it).
        store.create_or_upgrade_schema()
    except BaseException:
        store.close()
        raise
    identity = hashlib.sha256(store_identity(store).encode("utf-8")).hexdigest()[:16]
    return Endpoint(store=store, label=label, identity=identity)
