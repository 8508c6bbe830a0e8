"""Provider selection: the one factory that turns configuration into a store.

Built-in providers are import strings, so a driver is imported only when its provider is
chosen. Third-party stores register under the entry-point group ``immersion.stores``; the entry
point's name is the provider name and its value a callable ``(TrackerConfig) -> store``
(the whole configuration: ``config.storage`` for connection options, ``config.timezone`` for
local days)::

    # pyproject.toml of a plugin
    [project.entry-points."immersion.stores"]
    duckdb = "immersion_duckdb:open_store"

Nothing else in the package names a concrete store class.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import cast

from ..config import StorageConfig, TrackerConfig
from ..errors import ConfigError, MissingDriverError, UnknownProviderError
from ..store import ImmersionTrackingStore

__all__ = ["ENTRY_POINT_GROUP", "StoreFactory", "create_store", "known_providers", "store_identity"]

ENTRY_POINT_GROUP = "immersion.stores"

StoreFactory = Callable[[TrackerConfig], ImmersionTrackingStore]

# provider -> (factory import string, the driver modules it can use (any one will do), the
# extra that installs one)
_BUILTIN: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "sqlite": ("immersion.stores.sqlite:from_config", (), None),
    "memory": ("immersion.stores.memory:from_config", (), None),
    "postgresql": ("immersion.stores.postgresql:from_config", ("psycopg",), "postgresql"),
    # mysqlclient (C) when installed, else PyMySQL; an explicit driver in the URL is
    # checked by the store (immersion.stores.mysql)
    "mysql": ("immersion.stores.mysql:from_config", ("MySQLdb", "pymysql"), "mysql"),
}


# The same MySQL database through mysqlclient or PyMySQL is one store: identities spell both
# as PyMySQL, the only driver before mysqlclient, so the names given then stay valid.
_MYSQL_DRIVER = re.compile(r"\bmysql\+mysqldb://")


def _plugins() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_providers() -> list[str]:
    """Built-in providers first, then installed plugins, each once."""
    names = list(_BUILTIN)
    names.extend(sorted(name for name in _plugins() if name not in _BUILTIN))
    return names


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _resolve(provider: str) -> StoreFactory:
    builtin = _BUILTIN.get(provider)
    if builtin is not None:
        target, drivers, extra = builtin
        if drivers and not any(_importable(driver) for driver in drivers):
            raise MissingDriverError(
                f"storage provider {provider!r} needs the {' or '.join(drivers)} driver, which "
                f'is not installed: pip install "immersion-tracker[{extra}]"'
            )
        module_name, _, attribute = target.partition(":")
        return cast(StoreFactory, getattr(importlib.import_module(module_name), attribute))
    plugin = _plugins().get(provider)
    if plugin is None:
        raise UnknownProviderError(
            f"unknown storage provider {provider!r}; known providers: "
            + ", ".join(known_providers())
        )
    try:
        return cast(StoreFactory, plugin.load())  # type: ignore[attr-defined]
    except Exception as exc:
        raise ConfigError(
            f"storage provider {provider!r} (plugin) failed to load: {type(exc).__name__}: {exc}"
        ) from None


def create_store(config: TrackerConfig | StorageConfig) -> ImmersionTrackingStore:
    """Construct the configured store (its schema is not touched here)."""
    if isinstance(config, StorageConfig):
        config = TrackerConfig(storage=config)
    return _resolve(config.storage.provider)(config)


def store_identity(store: ImmersionTrackingStore) -> str:
    """What names the database behind ``store`` from one run to the next (its outbox file,
    the checkpoints of a migration from it): ``repr(store)``, whichever driver it uses."""
    return _MYSQL_DRIVER.sub("mysql+pymysql://", repr(store))
