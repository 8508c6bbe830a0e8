"""An SQL store of one kind, in its own scratch database, holding the benchmark's seeded
history: what the query-plan tests read the plans of."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from benchmarks.generator import ZONE, History
from benchmarks.load import load_history

from immersion.config import TrackerConfig
from immersion.stores.registry import create_store
from immersion.stores.sql.base import SqlStore
from tests.support.servers import scratch_database


def loaded_sql_store(
    kind: str, directory: Path, events: int, cleanup: ExitStack
) -> tuple[SqlStore, History]:
    """A ``kind`` store (SQLite in ``directory``) with ``events`` events loaded and compacted
    (fresh statistics, as a maintenance pass leaves them); closed, and its scratch database
    dropped, by ``cleanup``."""
    if kind == "sqlite":
        storage = {"provider": "sqlite", "path": str(directory / f"{kind}.sqlite")}
    else:
        url = cleanup.enter_context(scratch_database(kind))
        storage = {"provider": kind, "url": url.render_as_string(hide_password=False)}
    store = create_store(TrackerConfig(timezone=ZONE, storage=storage))
    assert isinstance(store, SqlStore)
    cleanup.callback(store.close)  # before the scratch database is dropped
    store.create_or_upgrade_schema()
    history = History(events)
    load_history(store, history)
    store.compact()
    return store, history
