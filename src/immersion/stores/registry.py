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
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import cast

from ..config import StorageConfig, TrackerConfig
from ..errors import ConfigError, MissingDriverError, UnknownProviderError
from ..store import ImmersionTrackingStore

__all__ = ["ENTRY_POINT_GROUP", "StoreFactory", "create_store", "known_providers"]

ENTRY_POINT_GROUP = "immersion.stores"

StoreFactory = Callable[[TrackerConfig], ImmersionTrackingStore]

# provider -> (factory import string, the driver module it needs, the extra that installs it)
_BUILTIN: dict[str, tuple[str, str | None, str | None]] = {
    "sqlite": ("immersion.stores.sqlite:from_config", None, None),
    "memory": ("immersion.stores.memory:from_config", None, None),
    "postgresql": ("immersion.stores.postgresql:from_config", "psycopg", "postgresql"),
    "mysql": ("immersion.stores.mysql:from_config", "pymysql", "mysql"),
}


def _plugins() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_providers() -> list[str]:
    """Built-in providers first, then installed plugins, each once."""
    names = list(_BUILTIN)
    names.extend(sorted(name for name in _plugins() if name not in _BUILTIN))
    return names


def _resolve(provider: str) -> StoreFactory:
    builtin = _BUILTIN.get(provider)
    if builtin is not None:
        target, driver, extra = builtin
        if driver is not None:
            try:
                importlib.import_module(driver)
            except ImportError:
                raise MissingDriverError(
                    f"storage provider {provider!r} needs the {driver} driver, which is not "
                    f'installed: pip install "immersion-tracker[{extra}]"'
                ) from None
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
