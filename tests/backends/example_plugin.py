"""The third-party store of docs/storage/backends.md, kept here so the example stays true.

A plugin package would hold this module and register the factory in its ``pyproject.toml``::

    [project.entry-points."immersion.stores"]
    timed-sqlite = "immersion_timed:open_store"

Run the contract suite against it (from a clone of immersion-tracker)::

    IMMERSION_TEST_STORES=tests.backends.example_plugin:open_store pytest tests/contract
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from immersion.config import TrackerConfig
from immersion.store import ImmersionTrackingStore
from immersion.stores.sqlite import SqliteStore

log = logging.getLogger("immersion_timed")
SLOW_S = 0.1


class TimedStore:
    """Any store, with every call slower than ``SLOW_S`` logged."""

    def __init__(self, inner: ImmersionTrackingStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute  # ``capabilities``

        @functools.wraps(attribute)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                if elapsed > SLOW_S:
                    log.warning("%s took %.0f ms", name, elapsed * 1000)

        return timed


def open_store(config: TrackerConfig) -> ImmersionTrackingStore:
    """The factory the entry point names: the whole configuration in, a store out."""
    inner = SqliteStore(config.storage.sqlite_path(), timezone=config.timezone)
    return TimedStore(inner)  # type: ignore[return-value]  # structural: __getattr__
