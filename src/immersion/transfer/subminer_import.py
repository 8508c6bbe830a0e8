"""``immersion import-subminer``: a SubMiner database into our store, by our rules.

- **Videos** by key (``load_records``, insert-or-ignore: a video the store already has keeps
  its title and metadata). A ``duration_ms`` of 0 means unknown; SubMiner's codec ids name
  nothing portable and are left out.
- **Sessions** by UUID through ``write_batch``, exactly as the tracker would have written
  them: ``StartSession`` (local day, month and hour computed from the start in the configured
  time zone), every telemetry sample (``seq`` = SubMiner's ``telemetry_id``), every event
  (``seq`` = ``event_id``; ``tokens_delta`` of v17 read as our ``words_delta``; payloads over
  the configured cap replaced as the tracker does), then ``FinalizeSession``.
- **Final counters**: the session row's counter columns (v11+), unless they are all zero (a
  session older than the columns); every counter the row lacks (all of them before v11,
  ``words_seen`` in v17, ...) comes from the session's latest telemetry sample (highest
  ``sample_ms``, then ``telemetry_id``). Never a sum of samples.
- **Active sessions** (left by a crash or still open) are closed at their latest sample,
  with its counters.
- **Rollups, ledger and lifetime totals** are computed by our own code from those final
  counters (finalizing a session books it); SubMiner's own rollup tables (whose v1 rows
  summed cumulative samples) are never read.

Rows with values no store accepts are skipped and reported, never guessed. Running the import
again stores nothing new: a session already imported and ended with the same final counters
is skipped whole, anything else is idempotent by UUID and ``seq``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..domain import (
    COUNTER_NAMES,
    EventType,
    SessionCounters,
    SessionStatus,
    SourceType,
    TelemetrySample,
    TrackedEvent,
    Video,
    VideoMetadata,
)
from ..errors import StoreIntegrityError
from ..localtime import local_time
from ..payload import encode_payload, sanitize_text, truncation_marker
from ..store import ImmersionTrackingStore
from ..stores.validation import validate_write
from ..writes import FinalizeSession, RecordEvent, RecordSample, StartSession, UpsertVideo, Write
from .subminer import Layout, SubminerDatabase, number

__all__ = ["SubminerReport", "import_subminer"]

# Our counter -> SubMiner's column (the same name but for the Yomitan lookups).
_COLUMNS = {name: name for name in COUNTER_NAMES} | {"dictionary_lookups": "yomitan_lookup_count"}
_MAX_SKIPPED_SHOWN = 20

Tick = Callable[[int, int], None]  # (sessions done, sessions in total)


@dataclass
class SubminerReport:
    version: int = 0
    videos: int = 0
    videos_new: int = 0
    sessions: int = 0
    sessions_new: int = 0
    sessions_unchanged: int = 0  # already imported: skipped whole
    sessions_closed: int = 0  # were active in SubMiner: closed at their latest sample
    samples: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)  # "table id=N: reason"
    skipped_count: int = 0
    seconds: float = 0.0

    def skip(self, where: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < _MAX_SKIPPED_SHOWN:
            self.skipped.append(f"{where}: {reason}")


class _Skip(ValueError):
    """A SubMiner row we cannot store."""


def _int(
    row: dict[str, Any], column: str, *, optional: bool = False, unknown_below_zero: bool = False
) -> int | None:
    """The column as a non-negative ``int``; ``None`` when empty and ``optional``, or when
    negative and ``unknown_below_zero`` (probed metadata: -1 means "not probed")."""
    try:
        value = number(row.get(column))
    except ValueError as exc:
        raise _Skip(f"{column}: {exc}") from None
    if value is None:
        if optional:
            return None
        raise _Skip(f"{column} is empty")
    if value < 0:
        if unknown_below_zero:
            return None
        raise _Skip(f"{column} is negative ({value})")
    return value


def _required(row: dict[str, Any], column: str) -> int:
    value = _int(row, column)
    assert value is not None
    return value


def _counters(row: dict[str, Any], present: frozenset[str]) -> dict[str, int]:
    return {name: _required(row, col) for name, col in _COLUMNS.items() if col in present}


def _metadata(row: dict[str, Any], column: str) -> int | None:
    return _int(row, column, optional=True, unknown_below_zero=True)


def _video(row: dict[str, Any]) -> Video:
    kind = _required(row, "source_type")
    if kind not in SourceType._value2member_map_:
        raise _Skip(f"unknown source_type {kind}")
    duration = _int(row, "duration_ms", optional=True, unknown_below_zero=True)

    def text(column: str) -> str | None:
        value = row.get(column)
        return None if value is None else sanitize_text(str(value))

    video = Video(
        video_key=sanitize_text(str(row.get("video_key") or "")),
        title=text("canonical_title") or "",
        source_type=SourceType(kind),
        source_path=text("source_path"),
        source_url=text("source_url"),
        duration_ms=duration or None,  # 0: not probed
        metadata=VideoMetadata(
            file_size_bytes=_metadata(row, "file_size_bytes"),
            width_px=_metadata(row, "width_px"),
            height_px=_metadata(row, "height_px"),
            fps_x100=_metadata(row, "fps_x100"),
            bitrate_kbps=_metadata(row, "bitrate_kbps"),
        ),
        created_at_ms=_required(row, "created_at_ms"),
        updated_at_ms=_required(row, "updated_at_ms"),
    )
    checked = _checked(UpsertVideo(video))
    assert isinstance(checked, UpsertVideo)
    return checked.video


def _checked(write: Write) -> Write:
    try:
        return validate_write(write)
    except StoreIntegrityError as exc:
        raise _Skip(str(exc)) from None


def _payload(value: Any, cap: int) -> str | None:
    if value is None:
        return None
    text = sanitize_text(str(value))
    size = len(text.encode("utf-8"))
    if size <= cap:
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return truncation_marker(size)
    return encode_payload(parsed, cap) if isinstance(parsed, dict) else truncation_marker(size)


class _Importer:
    def __init__(
        self,
        source: SubminerDatabase,
        store: ImmersionTrackingStore,
        zone: ZoneInfo | None,
        payload_cap: int,
        batch_size: int,
        report: SubminerReport,
    ) -> None:
        self.source = source
        self.layout: Layout = source.layout
        self.store = store
        self.zone = zone
        self.payload_cap = payload_cap
        self.batch_size = batch_size
        self.report = report
        self.pending: list[Write] = []

    def write(self, write: Write) -> None:
        self.pending.append(write)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.write_batch(self.pending)
            self.pending = []

    def videos(self) -> dict[int, str]:
        """Load the valid videos; their keys by SubMiner ``video_id``."""
        keys: dict[int, str] = {}
        valid: list[Video] = []
        for row in self.source.videos():
            self.report.videos += 1
            try:
                video = _video(row)
            except _Skip as exc:
                self.report.skip(f"imm_videos video_id={row.get('video_id')}", str(exc))
                continue
            keys[int(row["video_id"])] = video.video_key
            valid.append(video)
        for start in range(0, len(valid), self.batch_size):
            part = valid[start : start + self.batch_size]
            self.report.videos_new += self.store.load_records("videos", list(part))
        return keys

    def session(self, row: dict[str, Any], video_keys: dict[int, str]) -> None:
        report = self.report
        where = f"imm_sessions session_id={row.get('session_id')}"
        uuid = sanitize_text(str(row.get("session_uuid") or ""))
        video_key = video_keys.get(int(row.get("video_id") or 0))
        if video_key is None:
            report.skip(where, f"its video {row.get('video_id')} is missing or was skipped")
            return
        try:
            started = _required(row, "started_at_ms")
            when = local_time(started, self.zone)
            start = _checked(
                StartSession(uuid, video_key, started, when.day, when.month, when.hour)
            )
            ended_at = _int(row, "ended_at_ms", optional=True)
            ended_media = (
                _int(row, "ended_media_ms", optional=True)
                if self.layout.has("imm_sessions", "ended_media_ms")
                else None
            )
            final_columns = self.layout.columns["imm_sessions"]
            from_row = _counters(row, final_columns)
        except _Skip as exc:
            report.skip(where, str(exc))
            return
        samples = self._samples(row, uuid)
        latest = max(samples, key=lambda s: (s.sample_ms, s.seq), default=None)
        counters = latest.counters.as_dict() if latest is not None else {}
        active = ended_at is None or number(row.get("status")) == int(SessionStatus.ACTIVE)
        closing = ended_at is None
        if ended_at is None:
            ended_at = latest.sample_ms if latest is not None else started
        elif any(from_row.values()) and not active:
            counters.update(from_row)  # v11+: the row's final counters win
        final = SessionCounters(**counters)
        finalize = FinalizeSession(
            uuid,
            ended_at,
            final,
            ended_media,
            latest.sample_ms if latest is not None else None,
        )
        report.sessions += 1
        stored = self.store.get_session(uuid)
        if stored is not None and stored.status is SessionStatus.ENDED:
            if (stored.ended_at_ms, stored.counters) == (ended_at, final):
                report.sessions_unchanged += 1
                return
        elif stored is None:
            report.sessions_new += 1
        report.sessions_closed += closing
        self.write(start)
        for sample in samples:
            self.write(RecordSample(sample))
        report.samples += len(samples)
        for page in self.source.events(int(row["session_id"])):
            for event_row in page:
                event = self._event(event_row, uuid)
                if event is not None:
                    self.write(RecordEvent(event))
                    report.events += 1
        self.write(_checked(finalize))

    def _samples(self, session: dict[str, Any], uuid: str) -> list[TelemetrySample]:
        present = self.layout.columns["imm_session_telemetry"]
        samples = []
        for row in self.source.telemetry(int(session["session_id"])):
            try:
                sample = TelemetrySample(
                    uuid,
                    _required(row, "telemetry_id"),
                    _required(row, "sample_ms"),
                    SessionCounters(**_counters(row, present)),
                )
                _checked(RecordSample(sample))
            except _Skip as exc:
                self.report.skip(
                    f"imm_session_telemetry telemetry_id={row.get('telemetry_id')}", str(exc)
                )
                continue
            samples.append(sample)
        return samples

    def _event(self, row: dict[str, Any], uuid: str) -> TrackedEvent | None:
        delta = "words_delta" if "words_delta" in row else "tokens_delta"
        try:
            event_type = number(row.get("event_type"))
            if event_type is None or event_type not in EventType._value2member_map_:
                raise _Skip(f"unknown event_type {row.get('event_type')!r}")
            event = TrackedEvent(
                session_uuid=uuid,
                seq=_required(row, "event_id"),
                ts_ms=_required(row, "ts_ms"),
                event_type=EventType(event_type),
                line_index=_int(row, "line_index", optional=True),
                segment_start_ms=_int(row, "segment_start_ms", optional=True),
                segment_end_ms=_int(row, "segment_end_ms", optional=True),
                words_delta=_int(row, delta, optional=True) or 0,
                cards_delta=_int(row, "cards_delta", optional=True) or 0,
                payload_json=_payload(row.get("payload_json"), self.payload_cap),
            )
            _checked(RecordEvent(event))
        except _Skip as exc:
            self.report.skip(f"imm_session_events event_id={row.get('event_id')}", str(exc))
            return None
        return event


def import_subminer(
    path: Path,
    store: ImmersionTrackingStore,
    *,
    zone: ZoneInfo | None,
    payload_cap_bytes: int = 256,
    batch_size: int = 5000,
    tick: Tick | None = None,
) -> SubminerReport:
    """Import the SubMiner database at ``path`` into ``store`` (module docstring)."""
    started = time.perf_counter()
    report = SubminerReport()
    with SubminerDatabase(path) as source:
        report.version = source.layout.version
        importer = _Importer(source, store, zone, payload_cap_bytes, max(1, batch_size), report)
        video_keys = importer.videos()
        sessions = source.sessions()
        for done, row in enumerate(sessions, start=1):
            importer.session(row, video_keys)
            if tick is not None:
                tick(done, len(sessions))
        importer.flush()
    report.seconds = round(time.perf_counter() - started, 3)
    return report
