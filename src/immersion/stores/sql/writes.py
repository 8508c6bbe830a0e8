"""``write_batch`` in SQL: one transaction, ids resolved through small caches, executemany.

The batch is applied in order. Consecutive samples and events form a *run* that is written
with one executemany per table (``INSERT`` ignoring existing ``(session_id, seq)``), followed
by one conditional ``UPDATE`` per session that raises its live counters to the run's
highest-seq sample. Applying only the run's highest sample is the same as applying each in
order: the update only ever moves to a higher ``seq`` and nothing inside a run changes a
session's status (only a finalize does, and a finalize ends the run).

Video keys and session UUIDs resolve to integer ids through caches that hold committed ids
only; ids learnt inside a transaction are handed back by ``apply`` and cached by
``remember`` after the commit, so a rolled-back batch cannot leave a dangling id behind.

A finalize also records the session's final counters in the ledger and lifetime totals
(``rollups.session_ended``); the rollup groups it touched are recomputed at the end of the
batch, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Executable,
    bindparam,
    func,
    or_,
    select,
    update,
)

from ...domain import (
    COUNTER_NAMES,
    SessionCounters,
    SessionStatus,
    TelemetrySample,
    TrackedEvent,
    Video,
    day_number,
)
from ...errors import StoreIntegrityError
from ...writes import (
    FinalizeSession,
    RecordEvent,
    RecordSample,
    StartSession,
    UpdateVideoDuration,
    UpdateVideoTitle,
    UpsertVideo,
    Write,
)
from . import rollups
from .bulk import DriverBatch
from .hooks import StatementHooks
from .rollups import RollupStatements
from .schema import events, sessions, telemetry, videos

__all__ = ["BatchWriter", "Learnt"]

# Bound on each id cache; when full it starts over (lookups are one indexed query anyway).
_CACHE_LIMIT = 4096

_ACTIVE = int(SessionStatus.ACTIVE)

_METADATA_FIELDS = ("file_size_bytes", "codec", "width_px", "height_px", "fps_x100", "bitrate_kbps")
# An upsert of an existing key keeps the stored value of these when the new one is unknown.
_KEEP_WHEN_UNKNOWN = ("source_path", "source_url", "duration_ms", *_METADATA_FIELDS)


_SAMPLE_KEYS = ("session_id", "seq", "sample_ms", *COUNTER_NAMES)
_EVENT_KEYS = (
    "session_id",
    "seq",
    "ts_ms",
    "event_type",
    "line_index",
    "segment_start_ms",
    "segment_end_ms",
    "words_delta",
    "cards_delta",
    "payload_json",
)
_LIVE_KEYS = ("p_id", "p_active", "p_seq", "p_ms", *(f"p_{name}" for name in COUNTER_NAMES))
_COUNTER_VALUES = attrgetter(*COUNTER_NAMES)


@dataclass
class Learnt:
    """Ids resolved during one transaction; cached only once it has committed."""

    videos: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)


class _Statements:
    """Every write statement, built once per store so SQLAlchemy's compiled cache is hit."""

    def __init__(self, hooks: StatementHooks) -> None:
        def keep_unknown(incoming: Any) -> dict[str, Any]:
            clause: dict[str, Any] = {
                "title": incoming.title,
                "source_type": incoming.source_type,
                "updated_at_ms": incoming.updated_at_ms,
            }
            for name in _KEEP_WHEN_UNKNOWN:
                clause[name] = func.coalesce(getattr(incoming, name), videos.c[name])
            return clause

        self.upsert_video = hooks.upsert(videos, ["video_key"], keep_unknown)
        self.insert_session = hooks.insert_ignore(sessions, ["session_uuid"])
        self.insert_sample = DriverBatch(
            hooks.insert_ignore(telemetry, ["session_id", "seq"]), _SAMPLE_KEYS
        )
        self.insert_event = DriverBatch(
            hooks.insert_ignore(events, ["session_id", "seq"]), _EVENT_KEYS
        )
        counters: dict[str, Any] = {name: bindparam(f"p_{name}") for name in COUNTER_NAMES}
        raise_live = (
            update(sessions)
            .where(
                sessions.c.id == bindparam("p_id"),
                sessions.c.status == bindparam("p_active"),
                or_(
                    sessions.c.last_sample_seq.is_(None),
                    sessions.c.last_sample_seq < bindparam("p_seq"),
                ),
            )
            .values(
                last_sample_seq=bindparam("p_seq"),
                last_sample_ms=bindparam("p_ms"),
                updated_at_ms=bindparam("p_ms"),
                **counters,
            )
        )
        self.raise_live = DriverBatch(raise_live, _LIVE_KEYS)
        self.finalize = (
            update(sessions)
            .where(sessions.c.id == bindparam("p_id"))
            .values(
                status=int(SessionStatus.ENDED),
                ended_at_ms=bindparam("p_ended"),
                ended_media_ms=bindparam("p_media"),
                # typed: a NULL parameter inside COALESCE needs one on PostgreSQL
                last_sample_ms=func.coalesce(
                    bindparam("p_last", type_=BigInteger), sessions.c.last_sample_ms
                ),
                updated_at_ms=bindparam("p_ended"),
                **counters,
            )
        )
        self.video_title = (
            update(videos)
            .where(videos.c.id == bindparam("p_id"))
            .values(title=bindparam("p_title"), updated_at_ms=bindparam("p_at"))
        )
        self.video_duration = (
            update(videos)
            .where(videos.c.id == bindparam("p_id"))
            .values(duration_ms=bindparam("p_duration"), updated_at_ms=bindparam("p_at"))
        )
        self.video_id = select(videos.c.id).where(videos.c.video_key == bindparam("p_key"))
        self.session_id = select(sessions.c.id).where(
            sessions.c.session_uuid == bindparam("p_uuid")
        )
        self.session_ids = select(sessions.c.session_uuid, sessions.c.id).where(
            sessions.c.session_uuid.in_(bindparam("p_uuids", expanding=True))
        )
        self.rollups = RollupStatements(hooks)


class _Batch:
    """One ``apply`` call: the connection, the caches, and the ids learnt so far."""

    def __init__(self, writer: BatchWriter, connection: Connection) -> None:
        self.writer = writer
        self.connection = connection
        self.statements = writer.statements
        self.learnt = Learnt()
        self.finalized = False  # whether rollup groups need a recompute at the end

    def execute(self, statement: Executable, params: Any) -> None:
        self.connection.execute(statement, params)

    def known_video(self, key: str) -> int | None:
        found = _cached(self.writer.video_ids, self.learnt.videos, key)
        if found is None:
            found = self.connection.scalar(self.statements.video_id, {"p_key": key})
            if found is not None:
                self.learnt.videos[key] = found
        return found

    def video(self, key: str, index: int) -> int:
        found = self.known_video(key)
        if found is None:
            raise StoreIntegrityError(f"write {index} of the batch names an unknown video {key!r}")
        return found

    def known_session(self, uuid: str) -> int | None:
        found = _cached(self.writer.session_ids, self.learnt.sessions, uuid)
        if found is None:
            found = self.connection.scalar(self.statements.session_id, {"p_uuid": uuid})
            if found is not None:
                self.learnt.sessions[uuid] = found
        return found

    def sessions_of(self, uuids: Sequence[tuple[int, str]]) -> dict[str, int]:
        """Ids of the sessions named by ``(write index, uuid)``, in one query for those not
        cached; ``StoreIntegrityError`` naming the first unknown one."""
        ids: dict[str, int] = {}
        missing: dict[str, None] = {}  # ordered set
        for _, uuid in uuids:
            if uuid in ids or uuid in missing:
                continue
            found = _cached(self.writer.session_ids, self.learnt.sessions, uuid)
            if found is None:
                missing[uuid] = None
            else:
                ids[uuid] = found
        if missing:
            rows = self.connection.execute(self.statements.session_ids, {"p_uuids": list(missing)})
            for uuid, session_id in rows:
                ids[uuid] = session_id
                self.learnt.sessions[uuid] = session_id
        for index, uuid in uuids:
            if uuid not in ids:
                raise StoreIntegrityError(
                    f"write {index} of the batch names an unknown session {uuid!r}"
                )
        return ids


def _cached(committed: dict[str, int], learnt: dict[str, int], key: str) -> int | None:
    found = committed.get(key)
    return learnt.get(key) if found is None else found


class BatchWriter:
    """Applies batches of validated writes; owns the id caches of one store."""

    def __init__(self, hooks: StatementHooks) -> None:
        self._hooks = hooks
        self._statements: _Statements | None = None
        self.video_ids: dict[str, int] = {}
        self.session_ids: dict[str, int] = {}

    @property
    def statements(self) -> _Statements:
        if self._statements is None:  # built on first use: the hooks need a finished store
            self._statements = _Statements(self._hooks)
        return self._statements

    def remember(self, learnt: Learnt) -> None:
        """Cache the ids of a committed batch."""
        for cache, new in ((self.video_ids, learnt.videos), (self.session_ids, learnt.sessions)):
            if len(cache) + len(new) > _CACHE_LIMIT:
                cache.clear()
            cache.update(new)

    def forget_sessions(self) -> None:
        """Drop cached session ids (sessions were deleted)."""
        self.session_ids.clear()

    def apply(self, connection: Connection, writes: Sequence[Write]) -> Learnt:
        """Apply ``writes`` on ``connection`` (inside its transaction); the ids learnt."""
        batch = _Batch(self, connection)
        samples: list[tuple[int, TelemetrySample]] = []
        events_run: list[tuple[int, TrackedEvent]] = []
        for index, write in enumerate(writes):
            if isinstance(write, RecordSample):
                samples.append((index, write.sample))
            elif isinstance(write, RecordEvent):
                events_run.append((index, write.event))
            else:
                if samples or events_run:
                    _write_run(batch, samples, events_run)
                    samples, events_run = [], []
                _apply_one(batch, index, write)
        if samples or events_run:
            _write_run(batch, samples, events_run)
        if batch.finalized:
            # Rollup reads are fresh after every batch: recompute the groups it touched.
            rollups.recompute_dirty(connection)
        return batch.learnt


def _apply_one(batch: _Batch, index: int, write: Write) -> None:
    statements = batch.statements
    match write:
        case UpsertVideo(video=video):
            batch.execute(statements.upsert_video, _video_row(video))
            batch.known_video(video.video_key)
        case UpdateVideoTitle(video_key=key, title=title, updated_at_ms=at):
            video_id = batch.video(key, index)
            batch.execute(statements.video_title, {"p_id": video_id, "p_title": title, "p_at": at})
        case UpdateVideoDuration(video_key=key, duration_ms=duration, updated_at_ms=at):
            video_id = batch.video(key, index)
            batch.execute(
                statements.video_duration, {"p_id": video_id, "p_duration": duration, "p_at": at}
            )
        case StartSession():
            video_id = batch.video(write.video_key, index)
            if batch.known_session(write.session_uuid) is None:
                batch.execute(statements.insert_session, _session_row(write, video_id))
                batch.known_session(write.session_uuid)
        case FinalizeSession():
            [session_id] = batch.sessions_of([(index, write.session_uuid)]).values()
            params = _counter_params(write.counters)
            params.update(
                p_id=session_id,
                p_ended=write.ended_at_ms,
                p_media=write.ended_media_ms,
                p_last=write.last_sample_ms,
            )
            batch.execute(statements.finalize, params)
            rollups.session_ended(batch.connection, statements.rollups, session_id)
            batch.finalized = True
        case _:  # pragma: no cover - samples and events are written in runs
            raise AssertionError(f"unexpected write {type(write).__name__}")


def _write_run(
    batch: _Batch,
    samples: list[tuple[int, TelemetrySample]],
    events_run: list[tuple[int, TrackedEvent]],
) -> None:
    """Insert a run of samples and events, then raise live counters once per session."""
    named = [(i, s.session_uuid) for i, s in samples] + [(i, e.session_uuid) for i, e in events_run]
    named.sort()  # report the earliest unknown session, as applying in order would
    ids = batch.sessions_of(named)
    statements = batch.statements
    if samples:
        statements.insert_sample.run(batch.connection, [_sample_row(ids, s) for _, s in samples])
        newest: dict[str, TelemetrySample] = {}
        for _, sample in samples:
            best = newest.get(sample.session_uuid)
            # the first of equal seqs is the one stored (later duplicates are ignored)
            if best is None or sample.seq > best.seq:
                newest[sample.session_uuid] = sample
        live = [
            (
                ids[sample.session_uuid],
                _ACTIVE,
                sample.seq,
                sample.sample_ms,
                *_COUNTER_VALUES(sample.counters),
            )
            for sample in newest.values()
        ]
        statements.raise_live.run(batch.connection, live)
    if events_run:
        statements.insert_event.run(batch.connection, [_event_row(ids, e) for _, e in events_run])


def _counter_params(counters: SessionCounters) -> dict[str, Any]:
    return {f"p_{name}": value for name, value in counters.as_dict().items()}


def _video_row(video: Video) -> dict[str, Any]:
    metadata = video.metadata
    row: dict[str, Any] = {
        "video_key": video.video_key,
        "title": video.title,
        "source_type": int(video.source_type),
        "source_path": video.source_path,
        "source_url": video.source_url,
        "duration_ms": video.duration_ms,
        "created_at_ms": video.created_at_ms,
        "updated_at_ms": video.updated_at_ms,
    }
    for name in _METADATA_FIELDS:
        row[name] = getattr(metadata, name)
    return row


def _session_row(write: StartSession, video_id: int) -> dict[str, Any]:
    return {
        "session_uuid": write.session_uuid,
        "video_id": video_id,
        "started_at_ms": write.started_at_ms,
        "status": int(SessionStatus.ACTIVE),
        "local_day": day_number(write.local_day),
        "local_month": write.local_month,
        "local_hour": write.local_hour,
        "created_at_ms": write.started_at_ms,
        "updated_at_ms": write.started_at_ms,
        **dict.fromkeys(COUNTER_NAMES, 0),
    }


def _sample_row(ids: dict[str, int], sample: TelemetrySample) -> tuple[Any, ...]:
    """The values of ``_SAMPLE_KEYS``."""
    return (
        ids[sample.session_uuid],
        sample.seq,
        sample.sample_ms,
        *_COUNTER_VALUES(sample.counters),
    )


def _event_row(ids: dict[str, int], event: TrackedEvent) -> tuple[Any, ...]:
    """The values of ``_EVENT_KEYS``."""
    return (
        ids[event.session_uuid],
        event.seq,
        event.ts_ms,
        int(event.event_type),
        event.line_index,
        event.segment_start_ms,
        event.segment_end_ms,
        event.words_delta,
        event.cards_delta,
        event.payload_json,
    )
