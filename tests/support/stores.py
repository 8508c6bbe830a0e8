"""Build each kind of store for the shared contract suite.

Every backend plugs in here; the contract tests only see the ``store`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from immersion.store import ImmersionTrackingStore

STORE_KINDS = ["memory", "sqlite"]


@contextmanager
def open_store(kind: str, tmp_path: Path) -> Iterator[ImmersionTrackingStore]:
    """A fresh, empty store of ``kind`` with its schema created; closed (and dropped) after."""
    store: ImmersionTrackingStore
    if kind == "memory":
        from immersion.stores.memory import MemoryStore

        store = MemoryStore()
    elif kind == "sqlite":
        from immersion.stores.sqlite import SqliteStore

        store = SqliteStore(tmp_path / "contract.sqlite")
    else:  # pragma: no cover - a typo in a parametrization
        raise ValueError(f"unknown store kind {kind!r}")
    try:
        store.create_or_upgrade_schema()
        yield store
    finally:
        store.close()
