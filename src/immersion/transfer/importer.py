"""``immersion import``: read an export back (JSON Lines file or CSV directory).

The header must name the format and a version this code reads (a newer one is refused
whole). Then every record is checked on its own: its JSON, its kind, every field's type and
value (``codec.decode``), and that the video or session it names is in the store or earlier
in the file. A rejected record is reported with its line number and the reason, and the rest
is stored. Records are loaded in batches through ``loading.Loader``: an exact copy when the
store was empty and the export complete (identical reads afterwards), otherwise a merge
(existing videos and sessions kept, rollups recomputed). Importing the same file twice
stores nothing the second time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain import Video
from ..errors import StoreIntegrityError
from ..records import RECORD_KINDS, Record, RecordKind, SessionRecord
from ..store import ImmersionTrackingStore
from . import TransferError
from .decoding import RowError, decode
from .export import CSV_MANIFEST, END_KIND, FORMAT_NAME, FORMAT_VERSION
from .loading import Loader, is_empty

__all__ = ["ImportReport", "Rejected", "import_path"]

Tick = Callable[[RecordKind, int], None]
# (where, kind, fields) of one record of the file; ``where`` names the line
_Item = tuple[str, str, dict[str, Any], bool]


@dataclass(frozen=True)
class Rejected:
    where: str  # "line 12", or "events.csv line 12"
    reason: str


@dataclass
class ImportReport:
    mode: str = "copy"
    read: dict[str, int] = field(default_factory=dict)  # valid records per kind
    inserted: dict[str, int] = field(default_factory=dict)  # new in the store
    recomputed: dict[str, int] = field(default_factory=dict)  # merge: derived, not loaded
    rejected: list[Rejected] = field(default_factory=list)
    truncated: bool = False  # the JSON Lines file ends without its summary line
    finalized: int = 0
    rollup_groups: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.truncated


def _check_header(head: Any, where: str) -> dict[str, Any]:
    if not isinstance(head, dict) or head.get("format") != FORMAT_NAME:
        raise TransferError(f"{where}: not an immersion-tracker export (no {FORMAT_NAME} header)")
    number = head.get("version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise TransferError(f"{where}: the header's version {number!r} is not a version number")
    if number > FORMAT_VERSION:
        raise TransferError(
            f"{where}: written by a newer immersion-tracker (format version {number}); this "
            f"version reads format version {FORMAT_VERSION}: upgrade immersion-tracker"
        )
    return head


class _Source:
    """The records of a file, with its header and whether it ended properly."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ended = False
        self.csv = path.is_dir() or path.name == CSV_MANIFEST
        self.directory = (path if path.is_dir() else path.parent) if self.csv else None
        self.head = self._read_header()

    def _read_header(self) -> dict[str, Any]:
        target = self.directory / CSV_MANIFEST if self.directory is not None else self.path
        try:
            with target.open(encoding="utf-8") as handle:
                text = handle.read() if self.csv else handle.readline()
        except FileNotFoundError:
            raise TransferError(f"{target} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TransferError(f"cannot read {target}: {exc}") from None
        try:
            head = json.loads(text)
        except ValueError:
            where = target.name if self.csv else "line 1"
            raise TransferError(f"{where}: not an immersion-tracker export header") from None
        return _check_header(head, target.name if self.csv else "line 1")

    def items(self) -> Iterator[_Item | Rejected]:
        if self.directory is not None:
            yield from self._csv_items(self.directory)
            self.ended = True
        else:
            yield from self._jsonl_items()

    def _jsonl_items(self) -> Iterator[_Item | Rejected]:
        with self.path.open(encoding="utf-8", errors="surrogateescape") as handle:
            next(handle)  # the header, checked already
            for number, line in enumerate(handle, start=2):
                where = f"line {number}"
                if not line.strip():
                    continue
                if self.ended:
                    yield Rejected(where, "a record after the summary line")
                    continue
                try:
                    line.encode("utf-8")
                    value = json.loads(line)
                except UnicodeEncodeError:
                    yield Rejected(where, "not valid UTF-8")
                    continue
                except json.JSONDecodeError as exc:
                    yield Rejected(where, f"not valid JSON ({exc.msg})")
                    continue
                if not isinstance(value, dict):
                    yield Rejected(where, "not a JSON object")
                    continue
                kind = value.pop("kind", None)
                if kind == END_KIND:
                    self.ended = True
                    continue
                yield where, kind, value, False

    def _csv_items(self, directory: Path) -> Iterator[_Item | Rejected]:
        for kind in RECORD_KINDS:
            path = directory / f"{kind}.csv"
            if not path.exists():
                continue
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                for row in reader:
                    where = f"{path.name} line {reader.line_num}"
                    if None in row or None in row.values():
                        yield Rejected(where, "wrong number of cells")
                        continue
                    yield where, kind, dict(row), True


class _References:
    """Which videos and sessions exist: in the file so far, or in the store."""

    def __init__(self, store: ImmersionTrackingStore) -> None:
        self._store = store
        self._known: dict[tuple[str, str], bool] = {}

    def add(self, parent: str, key: str) -> None:
        self._known[(parent, key)] = True

    def has(self, parent: str, key: str) -> bool:
        found = self._known.get((parent, key))
        if found is None:
            if parent == "video":
                found = self._store.get_video(key) is not None
            else:
                found = self._store.get_session(key) is not None
            self._known[(parent, key)] = found
        return found

    def missing_parent(self, kind: str, record: Record) -> str | None:
        """Why ``record`` cannot be stored (it names an unknown parent), or ``None``."""
        if kind in ("telemetry", "events"):
            uuid = getattr(record, "session_uuid", "")
            if not self.has("session", uuid):
                return f"unknown session {uuid!r} (not in the store, nor earlier in the file)"
            return None
        video_key = (
            record.session.video_key
            if isinstance(record, SessionRecord)
            else getattr(record, "video_key", None)
        )
        if video_key is not None and kind != "videos" and not self.has("video", video_key):
            return f"unknown video {video_key!r} (not in the store, nor earlier in the file)"
        return None


def import_path(
    store: ImmersionTrackingStore,
    path: Path,
    *,
    batch_size: int = 5000,
    tick: Tick | None = None,
) -> ImportReport:
    """Import the export at ``path`` into ``store`` (module docstring)."""
    source = _Source(path)
    merge = not (source.head.get("complete") is True and is_empty(store))
    loader = Loader(store, merge=merge)
    report = ImportReport(mode="merge" if merge else "copy")
    references = _References(store)
    pending: list[tuple[str, Record]] = []
    pending_kind: RecordKind | None = None

    def flush() -> None:
        nonlocal pending
        if pending_kind is None or not pending:
            return
        _load(loader, pending_kind, pending, report)
        if tick is not None:
            tick(pending_kind, report.read.get(pending_kind, 0))
        pending = []

    for item in source.items():
        if isinstance(item, Rejected):
            report.rejected.append(item)
            continue
        where, kind, fields, from_text = item
        if kind not in RECORD_KINDS:
            report.rejected.append(Rejected(where, f"unknown kind {kind!r}"))
            continue
        try:
            record = decode(kind, fields, from_text=from_text)
        except RowError as exc:
            report.rejected.append(Rejected(where, f"{kind}: {exc}"))
            continue
        problem = references.missing_parent(kind, record)
        if problem is not None:
            report.rejected.append(Rejected(where, f"{kind}: {problem}"))
            continue
        if isinstance(record, Video):
            references.add("video", record.video_key)
        elif isinstance(record, SessionRecord):
            references.add("session", record.session.session_uuid)
        if kind != pending_kind or len(pending) >= batch_size:
            flush()
            pending_kind = kind
        pending.append((where, record))
        report.read[kind] = report.read.get(kind, 0) + 1
    flush()
    report.truncated = not source.ended
    report.rollup_groups = loader.finish()
    report.finalized = loader.finalized
    return report


def _load(
    loader: Loader, kind: RecordKind, pending: list[tuple[str, Record]], report: ImportReport
) -> None:
    if not loader.copies(kind):
        report.recomputed[kind] = report.recomputed.get(kind, 0) + len(pending)
        return
    records = loader.prepare(kind, [record for _, record in pending])
    try:
        inserted = loader.load(kind, records)
    except StoreIntegrityError:
        # Checked already, so this is rare (the store changed meanwhile): find the culprits.
        inserted = 0
        for where, record in pending:
            try:
                inserted += loader.load(kind, loader.prepare(kind, [record]))
            except StoreIntegrityError as exc:
                report.rejected.append(Rejected(where, f"{kind}: {exc}"))
    report.inserted[kind] = report.inserted.get(kind, 0) + inserted
