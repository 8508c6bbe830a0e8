"""Loading records into a destination: an exact copy, or a merge.

**Copy** (the destination held nothing): every kind is loaded as it is, rollups, lifetime
totals and day activity included, so the destination answers every read exactly like the
source (lifetime totals even cover sessions whose raw rows retention already deleted).

**Merge** (the destination already holds data): videos, sessions, telemetry, events and
state are loaded insert-or-ignore by their public keys, so a video or session both sides hold
is kept once, as the destination has it, except that an ended session replaces an active one
(it is finalized with the source's final counters through ``write_batch``, which books it in
the ledger like any finalized session). Ledger entries of sessions new to the destination are
loaded as not yet applied; rollups, lifetime totals and day activity are not copied but
recomputed from the merged ledger by ``update_rollups`` at the end. What a merge cannot
bring over: all-time totals of source sessions whose ledger entries retention already
deleted (older than both rollup windows).

State keys under ``migrate:`` are a migration's own checkpoints and never travel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..domain import SessionStatus
from ..records import DERIVED_KINDS, Record, RecordKind, SessionRecord, StateRecord
from ..store import ImmersionTrackingStore
from ..stores.ledger import LedgerEntry
from ..writes import FinalizeSession

__all__ = ["CHECKPOINT_PREFIX", "Loader", "is_empty"]

CHECKPOINT_PREFIX = "migrate:"


def is_empty(store: ImmersionTrackingStore) -> bool:
    """Whether ``store`` holds no data (videos are never pruned and everything else names
    one; maintenance state does not count)."""
    return store.count_records("videos") == 0


class Loader:
    """Loads batches of records into ``store`` as a copy or a merge (module docstring)."""

    def __init__(self, store: ImmersionTrackingStore, *, merge: bool) -> None:
        self.store = store
        self.merge = merge
        self.finalized = 0  # active destination sessions ended by a merge

    def copies(self, kind: RecordKind) -> bool:
        """Whether records of ``kind`` are loaded (a merge recomputes the derived kinds)."""
        return not (self.merge and kind in DERIVED_KINDS)

    def prepare(self, kind: RecordKind, records: Sequence[Record]) -> list[Record]:
        """The records of a batch as they are loaded."""
        if kind == "state":
            return [
                r
                for r in records
                if isinstance(r, StateRecord) and not r.key.startswith(CHECKPOINT_PREFIX)
            ]
        if kind == "ledger" and self.merge:
            return [
                replace(r, lifetime_applied=False) if isinstance(r, LedgerEntry) else r
                for r in records
            ]
        return list(records)

    def load(self, kind: RecordKind, records: Sequence[Record]) -> int:
        """Load one batch (already ``prepare``\\ d); how many records were new."""
        if not self.copies(kind) or not records:
            return 0
        inserted = self.store.load_records(kind, records)
        if self.merge and kind == "sessions" and inserted < len(records):
            self._end_active_duplicates(records)
        return inserted

    def _end_active_duplicates(self, records: Sequence[Record]) -> None:
        """Finalize destination sessions still active that the source has ended."""
        finals = []
        for record in records:
            if not isinstance(record, SessionRecord):
                continue
            theirs = record.session
            if theirs.status is not SessionStatus.ENDED or theirs.ended_at_ms is None:
                continue
            ours = self.store.get_session(theirs.session_uuid)
            if ours is None or ours.status is not SessionStatus.ACTIVE:
                continue
            finals.append(
                FinalizeSession(
                    session_uuid=theirs.session_uuid,
                    ended_at_ms=theirs.ended_at_ms,
                    counters=theirs.counters,
                    ended_media_ms=theirs.ended_media_ms,
                    last_sample_ms=theirs.last_sample_ms,
                )
            )
        if finals:
            self.store.write_batch(finals)
            self.finalized += len(finals)

    def finish(self) -> int:
        """After the last batch: a merge brings rollups and lifetime totals up to date from
        the merged ledger; returns the rollup groups recomputed (0 for a copy)."""
        if not self.merge:
            return 0
        return self.store.update_rollups()
