"""Shared pieces of the transfer tests: a realistic history, every read of a store, and the
command line run in-process."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from pathlib import Path
from typing import Any

from benchmarks.generator import END_DAY, History
from click.testing import CliRunner, Result
from sqlalchemy.engine import URL

from immersion.cli import main
from immersion.domain import SessionStatus
from immersion.records import RECORD_KINDS, Record, RecordKind
from immersion.store import ImmersionTrackingStore, PruneCutoffs
from immersion.stores.sqlite import SqliteStore

ZONE = "Asia/Tokyo"  # the generator's zone
TODAY = END_DAY + dt.timedelta(days=1)
_HOME_VARIABLES = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def fill(store: ImmersionTrackingStore, events: int = 12_000, seed: int = 7) -> None:
    """A generated history (a few weeks, active sessions included) written through
    ``write_batch``, maintenance state, and sessions older than the newest week pruned
    (their ledger entries, rollups and lifetime totals stay), so every kind has rows and the
    derived data covers more than the raw data."""
    writes = History(events, seed=seed, zone=ZONE).writes()
    while batch := list(itertools.islice(writes, 2000)):
        store.write_batch(batch)
    store.set_state("last_compaction_ms", "1767225600000")
    sessions = [r for b in store.iter_records("sessions") for r in b]
    ended = sorted(r.session.ended_at_ms for r in sessions if r.session.ended_at_ms)  # type: ignore[union-attr]
    store.prune(PruneCutoffs(None, None, ended[len(ended) // 4], None, None))


def sqlite_store(path: Path) -> SqliteStore:
    store = SqliteStore(path, timezone=ZONE)
    store.create_or_upgrade_schema()
    return store


def records(store: ImmersionTrackingStore, kind: RecordKind) -> list[Record]:
    return [record for batch in store.iter_records(kind, batch_size=997) for record in batch]


def everything(store: ImmersionTrackingStore) -> dict[str, list[Record]]:
    """Every record of every kind (maintenance state without a migration's checkpoints)."""
    found: dict[str, list[Record]] = {kind: records(store, kind) for kind in RECORD_KINDS}
    found["state"] = [r for r in found["state"] if not r.key.startswith("migrate:")]  # type: ignore[union-attr]
    return found


def reads(store: ImmersionTrackingStore, today: dt.date = TODAY) -> dict[str, Any]:
    """The answer of every read of the store interface (ranges covering everything)."""
    summaries = store.session_summaries(limit=100_000)
    found: dict[str, Any] = {
        "summaries": summaries,
        "video_stats": store.video_stats(),
        "overview": store.overview(today),
        "daily": store.daily_rollups(limit_days=100_000),
        "monthly": store.monthly_rollups(limit_months=10_000),
        "throughput": store.throughput("all", "day", today),
        "throughput_month": store.throughput("all", "month", today),
        "streak": store.streak(today),
        "calendar": store.streak_calendar(400, today),
        "trends": store.trends("all", "day", today),
        "trends_month": store.trends("365d", "month", today),
    }
    for stats in found["video_stats"]:
        found[f"video {stats.video_key}"] = (
            store.get_video(stats.video_key),
            store.video_stats(stats.video_key),
            store.daily_rollups(limit_days=100_000, video_key=stats.video_key),
        )
    for summary in summaries:
        uuid = summary.session_uuid
        found[f"session {uuid}"] = (
            store.get_session(uuid),
            store.session_timeline(uuid),
            store.session_events(uuid, limit=1_000_000),
        )
    return found


def active_sessions(store: ImmersionTrackingStore) -> int:
    return sum(
        1
        for r in records(store, "sessions")
        if r.session.status is SessionStatus.ACTIVE  # type: ignore[union-attr]
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def isolated_environment(home: Path) -> dict[str, str]:
    """The environment with every per-user directory inside ``home`` and no ``IMMERSION_*``
    settings (but the test servers' URLs)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("IMMERSION_") or name.startswith("IMMERSION_TEST_")
    }
    for name in _HOME_VARIABLES:
        env[name] = str(home if name == "HOME" else home / name.lower())
    return env


def invoke(*args: str | os.PathLike[str]) -> Result:
    """``immersion ARGS...`` in-process (stdout and stderr apart)."""
    return CliRunner().invoke(main, [str(arg) for arg in args], prog_name="immersion")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def server_url(url: URL) -> str:
    return url.render_as_string(hide_password=False)
