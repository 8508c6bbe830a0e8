"""``open_tracker``: the composition root that wires configuration, store, outbox and tracker.

Start-up rules for the configured store (``storage.provider``):

- an unknown provider, or a bad option, is a ``ConfigError`` (always: a typo must be loud);
- a store that cannot be reached (server down, credentials refused) or whose driver is not
  installed: with ``storage.fallback = "sqlite"`` (the default) the tracker starts on the
  embedded SQLite store instead, logs a warning, and ``diagnostics()`` reports
  ``fallback_active`` with the reason; with ``storage.fallback = "none"``, ``open_tracker``
  raises one ``ConfigError`` saying what failed;
- a schema written by a newer version (``SchemaTooNewError``) is never worked around.

Networked stores (PostgreSQL, MySQL) get a durable outbox by default
(``storage.outbox = "auto"``): an SQLite file next to the default database where writes wait
while the server is unreachable mid-session, replayed in order when it answers again.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from .clock import Clock, SystemClock
from .config import ConfigSource, StorageConfig, TrackerConfig, default_data_dir, load_config
from .diagnostics import config_secrets, redact
from .errors import ConfigError, MissingDriverError, StoreUnavailableError
from .pipeline.outbox import Outbox
from .store import ImmersionTrackingStore
from .tracker import Tracker

__all__ = ["open_store", "open_tracker", "outbox_path"]

log = logging.getLogger("immersion")


def open_store(config: TrackerConfig) -> ImmersionTrackingStore:
    """The configured store with its schema created or upgraded (no fallback)."""
    from .stores.registry import create_store  # the registry imports drivers lazily

    store = create_store(config)
    try:
        store.create_or_upgrade_schema()
    except BaseException:
        store.close()
        raise
    return store


def outbox_path(config: TrackerConfig, store: ImmersionTrackingStore) -> Path:
    """Where the outbox of ``store`` lives: ``storage.outbox_path``, else a file next to the
    default database named after the store (one outbox per destination)."""
    if config.storage.outbox_path is not None:
        return config.storage.outbox_path
    from .stores.registry import store_identity

    digest = hashlib.sha256(store_identity(store).encode("utf-8")).hexdigest()[:12]
    return default_data_dir() / f"outbox-{config.storage.provider}-{digest}.sqlite"


def _open_outbox(config: TrackerConfig, store: ImmersionTrackingStore) -> Outbox | None:
    mode = config.storage.outbox
    if mode == "off" or (mode == "auto" and not store.capabilities.networked):
        return None
    path = outbox_path(config, store)
    try:
        return Outbox(path, config.storage.outbox_cap, config.write.overflow)
    except Exception as exc:  # recording still works, only without outage protection
        log.warning("cannot open the outbox %s (%s); continuing without it", path, exc)
        return None


def open_tracker(config: ConfigSource = None, *, clock: Clock | None = None) -> Tracker:
    """Open the configured store, create or upgrade its schema, and start a ``Tracker``.

    ``config``: a ``TrackerConfig``, a mapping shaped like the TOML file, a path to a TOML
    file, or ``None`` (defaults, the default file, then ``IMMERSION_*`` variables). Raises
    ``ConfigError`` for a bad configuration, or when the store cannot be opened and
    ``storage.fallback = "none"``; ``SchemaError`` when the schema cannot be used. The
    worker's start-up maintenance pass then closes sessions left active by a crash at their
    last sample (see ``immersion.maintenance``).
    """
    loaded = load_config(config)
    chosen_clock = clock or SystemClock()
    fallback_reason: str | None = None
    try:
        store = open_store(loaded)
    except (StoreUnavailableError, MissingDriverError) as exc:
        provider = loaded.storage.provider
        reason = redact(f"{provider} store unavailable: {exc}", config_secrets(loaded))
        if loaded.storage.fallback == "none" or provider == "sqlite":
            raise ConfigError(
                f'{reason} (storage.fallback = "sqlite" records into the embedded '
                "database meanwhile)"
                if provider != "sqlite"
                else reason
            ) from None
        fallback_reason = f"{reason}; recording into the embedded SQLite database instead"
        log.warning(fallback_reason)
        sqlite = StorageConfig(provider="sqlite", path=loaded.storage.path, fallback="none")
        loaded = loaded.model_copy(update={"storage": sqlite})
        store = open_store(loaded)
    return Tracker(
        store,
        loaded,
        clock=chosen_clock,
        outbox=_open_outbox(loaded, store),
        fallback_reason=fallback_reason,
    )
