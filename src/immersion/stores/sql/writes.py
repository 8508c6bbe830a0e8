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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Connection, Executable

from ...domain import (
    COUNTER_NAMES,
    SessionCounters,
    SessionStatus,
    TelemetrySample,
    Video,
    day_number,
)
from ...errors import StoreIntegrityError
from ...writes import (
    EventValues,
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
from .hooks import StatementHooks
from .write_statements import METADATA_FIELDS, WriteStatements

__all__ = ["BatchWriter", "Learnt"]

# Bound on each id cache; when full it starts over (lookups are one indexed query anyway).
_CACHE_LIMIT = 4096

_ACTIVE = int(SessionStatus.ACTIVE)

_COUNTER_VALUES = attrgetter(*COUNTER_NAMES)


@dataclass
class Learnt:
    """Ids resolved during one transaction; cached only once it has committed."""

    videos: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)


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

    def sessions_of(self, uuids: Iterable[str]) -> dict[str, int]:
        """Ids of the known sessions among ``uuids`` (distinct), in one query for those not
        cached."""
        ids: dict[str, int] = {}
        missing: list[str] = []
        committed, learnt = self.writer.session_ids, self.learnt.sessions
        for uuid in uuids:
            found = _cached(committed, learnt, uuid)
            if found is None:
                missing.append(uuid)
            else:
                ids[uuid] = found
        if missing:
            rows = self.connection.execute(self.statements.session_ids, {"p_uuids": missing})
            for uuid, session_id in rows:
                ids[uuid] = session_id
                learnt[uuid] = session_id
        return ids


def _cached(committed: dict[str, int], learnt: dict[str, int], key: str) -> int | None:
    found = committed.get(key)
    return learnt.get(key) if found is None else found


class BatchWriter:
    """Applies batches of validated writes; owns the id caches of one store."""

    def __init__(self, hooks: StatementHooks) -> None:
        self._hooks = hooks
        self._statements: WriteStatements | None = None
        self.video_ids: dict[str, int] = {}
        self.session_ids: dict[str, int] = {}

    @property
    def statements(self) -> WriteStatements:
        if self._statements is None:  # built on first use: the hooks need a finished store
            self._statements = WriteStatements(self._hooks)
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
        run = _Run()
        for index, write in enumerate(writes):
            if type(write) is RecordEvent:  # (the bulk of every batch: no isinstance chain)
                run.events.append(write.values)
            elif type(write) is RecordSample:
                run.samples.append(write.sample)
            else:
                if run:
                    _write_run(batch, run, writes)
                _apply_one(batch, index, write)
                run = _Run(index + 1)
        if run:
            _write_run(batch, run, writes)
        if batch.finalized:
            # Rollup reads are fresh after every batch: recompute the groups it touched.
            rollups.recompute_dirty(connection)
        return batch.learnt


class _Run:
    """Consecutive samples and events of a batch, from write ``start`` on."""

    __slots__ = ("events", "samples", "start")

    def __init__(self, start: int = 0) -> None:
        self.start = start
        self.samples: list[TelemetrySample] = []
        self.events: list[EventValues] = []  # (RecordEvent.values: no event objects)

    def __bool__(self) -> bool:
        return bool(self.samples or self.events)

    def session_ids(self, batch: _Batch, writes: Sequence[Write]) -> dict[str, int]:
        """The ids of the sessions the run names; ``StoreIntegrityError`` naming the first
        write (in batch order, as applying in order would) that names an unknown one."""
        uuids = {values[0] for values in self.events}
        uuids.update(sample.session_uuid for sample in self.samples)
        ids = batch.sessions_of(uuids)
        if len(ids) < len(uuids):
            stop = self.start + len(self.samples) + len(self.events)
            for index in range(self.start, stop):
                write = writes[index]
                record = write.event if isinstance(write, RecordEvent) else _sample_of(write)
                if record.session_uuid not in ids:
                    raise StoreIntegrityError(
                        f"write {index} of the batch names an unknown session "
                        f"{record.session_uuid!r}"
                    )
        return ids


def _sample_of(write: Write) -> TelemetrySample:
    return cast(RecordSample, write).sample  # (a run holds only samples and events)


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
            session_id = batch.sessions_of([write.session_uuid]).get(write.session_uuid)
            if session_id is None:
                raise StoreIntegrityError(
                    f"write {index} of the batch names an unknown session {write.session_uuid!r}"
                )
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


def _write_run(batch: _Batch, run: _Run, writes: Sequence[Write]) -> None:
    """Insert a run of samples and events, then raise live counters once per session."""
    ids = run.session_ids(batch, writes)
    statements = batch.statements
    if run.samples:
        samples = run.samples
        statements.insert_sample.run(batch.connection, [_sample_row(ids, s) for s in samples])
        newest: dict[str, TelemetrySample] = {}
        for sample in samples:
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
    if run.events:
        # The values of EVENT_KEYS: the session's id, then the event's values (its type as
        # an int, as the drivers bind it).
        rows = [
            (ids[v[0]], v[1], v[2], int(v[3]), v[4], v[5], v[6], v[7], v[8], v[9])
            for v in run.events
        ]
        statements.insert_event.run(batch.connection, rows)


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
    for name in METADATA_FIELDS:
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
    """The values of ``SAMPLE_KEYS``."""
    return (
        ids[sample.session_uuid],
        sample.seq,
        sample.sample_ms,
        *_COUNTER_VALUES(sample.counters),
    )
