"""``immersion export``: everything a store holds, in a documented, versioned file format.

**JSON Lines** (``immersion-export.jsonl``, UTF-8, one JSON object per line):

1. a header: ``{"format": "immersion-tracker-export", "version": 1, "exported_at_ms": ...,
   "since": "YYYY-MM-DD" or null, "complete": true/false, "producer": "immersion-tracker X",
   "fields": {kind: [field, ...]}}``;
2. one line per record: ``{"kind": "<kind>", <field>: <value>, ...}`` with the fields of
   ``codec.FIELDS[kind]``, kinds in dependency order (``records.RECORD_KINDS``);
3. a summary: ``{"kind": "end", "counts": {kind: records}}`` (a file without it was cut
   short).

**CSV** (for spreadsheets): ``<kind>.csv`` per kind with a header row of field names (empty
cell: null; booleans ``true``/``false``), and ``manifest.json`` holding the header object
with ``counts``. ``immersion import DIR`` reads it back.

``since`` keeps what happened on or after a local day: sessions that started then, with their
telemetry, events and ledger entries, and the rollups and day activity of those days or
months; videos are always complete, lifetime totals and maintenance state are left out (they
are all-time). Such an export is not ``complete``: importing it merges, recomputing rollups.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal, TextIO

from ..domain import day_number
from ..records import (
    RECORD_KINDS,
    ActivityRecord,
    Record,
    RecordKind,
    RollupRecord,
    SessionRecord,
    StateRecord,
)
from ..store import ImmersionTrackingStore
from ..stores.ledger import LedgerEntry
from . import TransferError
from .codec import FIELDS, encoder
from .loading import CHECKPOINT_PREFIX

__all__ = [
    "CSV_MANIFEST",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "JSONL_NAME",
    "ExportSummary",
    "export_store",
    "header",
]

FORMAT_NAME = "immersion-tracker-export"
FORMAT_VERSION = 1
JSONL_NAME = "immersion-export.jsonl"
CSV_MANIFEST = "manifest.json"
END_KIND = "end"

Format = Literal["jsonl", "csv"]
Tick = Callable[[RecordKind, int], None]


@dataclass
class ExportSummary:
    path: Path  # the JSON Lines file, or the CSV directory
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _producer() -> str:
    try:
        return f"immersion-tracker {version('immersion-tracker')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "immersion-tracker"


def header(since: dt.date | None, now_ms: int) -> dict[str, Any]:
    """The header object of an export (see the module docstring)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at_ms": now_ms,
        "since": None if since is None else since.isoformat(),
        "complete": since is None,
        "producer": _producer(),
        "fields": {kind: [name for name, _ in FIELDS[kind]] for kind in RECORD_KINDS},
    }


class _Selection:
    """Which records an export with ``since`` keeps (all of them without)."""

    def __init__(self, since: dt.date | None) -> None:
        self.since = since
        self.sessions: set[str] = set()

    def kinds(self) -> tuple[RecordKind, ...]:
        if self.since is None:
            return RECORD_KINDS
        return tuple(
            k for k in RECORD_KINDS if k not in ("lifetime_videos", "lifetime_global", "state")
        )

    def keeps(self, kind: RecordKind, record: Record) -> bool:
        if isinstance(record, StateRecord):
            return not record.key.startswith(CHECKPOINT_PREFIX)
        since = self.since
        if since is None or kind == "videos":
            return True
        if isinstance(record, SessionRecord):
            if record.session.local_day >= since:
                self.sessions.add(record.session.session_uuid)
                return True
            return False
        if kind in ("telemetry", "events"):
            return getattr(record, "session_uuid", None) in self.sessions
        if isinstance(record, LedgerEntry):
            return record.local_day >= since
        if isinstance(record, RollupRecord):
            if kind == "daily_rollups":
                return record.period >= day_number(since)
            return record.period >= since.year * 100 + since.month
        if isinstance(record, ActivityRecord):
            return record.local_day >= since
        return False


def _rows(
    store: ImmersionTrackingStore,
    selection: _Selection,
    batch_size: int,
    tick: Tick | None,
) -> Iterator[tuple[RecordKind, tuple[Any, ...]]]:
    for kind in selection.kinds():
        encode = encoder(kind)
        done = 0
        for batch in store.iter_records(kind, batch_size=batch_size):
            for record in batch:
                if selection.keeps(kind, record):
                    yield kind, encode(record)
            done += len(batch)
            if tick is not None:
                tick(kind, done)


def _create(path: Path) -> TextIO:
    try:
        return path.open("x", encoding="utf-8", newline="")
    except FileExistsError:
        raise TransferError(f"{path} already exists: choose another --out directory") from None
    except OSError as exc:
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}") from None


def export_store(
    store: ImmersionTrackingStore,
    out_dir: Path,
    *,
    fmt: Format = "jsonl",
    since: dt.date | None = None,
    batch_size: int = 5000,
    tick: Tick | None = None,
    now_ms: int | None = None,
) -> ExportSummary:
    """Write ``store`` into ``out_dir`` (created if missing) as ``fmt``; never overwrites."""
    started = time.perf_counter()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TransferError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    head = header(since, time.time_ns() // 1_000_000 if now_ms is None else now_ms)
    selection = _Selection(since)
    rows = _rows(store, selection, batch_size, tick)
    if fmt == "jsonl":
        summary = _write_jsonl(out_dir / JSONL_NAME, head, rows)
    else:
        summary = _write_csv(out_dir, head, selection.kinds(), rows)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _write_jsonl(
    path: Path, head: dict[str, Any], rows: Iterator[tuple[RecordKind, tuple[Any, ...]]]
) -> ExportSummary:
    counts: dict[str, int] = {}
    names = {kind: [name for name, _ in FIELDS[kind]] for kind in RECORD_KINDS}
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with _create(path) as out:
        out.write(dumps(head) + "\n")
        for kind, row in rows:
            line = {"kind": kind, **dict(zip(names[kind], row, strict=True))}
            out.write(dumps(line) + "\n")
            counts[kind] = counts.get(kind, 0) + 1
        out.write(dumps({"kind": END_KIND, "counts": counts}) + "\n")
    return ExportSummary(path, counts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(
    directory: Path,
    head: dict[str, Any],
    kinds: tuple[RecordKind, ...],
    rows: Iterator[tuple[RecordKind, tuple[Any, ...]]],
) -> ExportSummary:
    manifest = directory / CSV_MANIFEST
    if manifest.exists():
        raise TransferError(f"{manifest} already exists: choose another --out directory")
    counts: dict[str, int] = {}
    files: dict[RecordKind, tuple[TextIO, Any]] = {}
    try:
        for kind in kinds:
            handle = _create(directory / f"{kind}.csv")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([name for name, _ in FIELDS[kind]])
            files[kind] = (handle, writer)
            counts[kind] = 0
        for kind, row in rows:
            files[kind][1].writerow([_cell(value) for value in row])
            counts[kind] += 1
    finally:
        for handle, _ in files.values():
            handle.close()
    with _create(manifest) as out:
        json.dump({**head, "counts": counts}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return ExportSummary(directory, counts)
