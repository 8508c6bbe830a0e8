"""``immersion migrate``: copy every kind of data from one store into another, resumably.

Kinds are copied in dependency order (``records.RECORD_KINDS``), each as a stream of batches
read with ``iter_records`` and written with ``load_records``. After each batch the
destination records a checkpoint in its own maintenance state::

    migrate:<source identity>:mode       "copy" or "merge"
    migrate:<source identity>:<kind>     the last natural key loaded (JSON), "done" at the end
    migrate:<source identity>:complete   when the whole migration finished (epoch ms)

A second run of an interrupted migration continues after the checkpoints. Loading is
insert-or-ignore by natural key, so the batch that was loaded but not yet checkpointed when
the process died is loaded again harmlessly: nothing is ever stored twice.

A fresh migration refuses a destination that already holds data unless it is a merge
(``loading.Loader`` says what a copy and a merge do). A finished migration run again only
verifies; with ``--merge`` it starts a new merge pass (bringing over what the source gained
meanwhile).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..records import RECORD_KINDS, RecordKey, RecordKind, record_key
from . import TransferError
from .endpoints import Endpoint
from .loading import CHECKPOINT_PREFIX, Loader, is_empty

__all__ = ["DONE", "MigrationResult", "Observer", "checkpoint_key", "migrate"]

DONE = "done"
Mode = Literal["copy", "merge"]


class Observer:
    """Hooks a caller (the command line's progress bar) gets called with; no-ops here."""

    def kind_started(self, kind: RecordKind, total: int, done: int, copied: bool) -> None:
        """``kind`` begins: ``total`` source records, ``done`` already in the destination
        (an estimate when resuming); ``copied`` false when a merge recomputes it."""

    def batch_loaded(self, kind: RecordKind, records: int) -> None:
        """One batch of ``records`` source records was loaded."""

    def kind_finished(self, kind: RecordKind) -> None:
        """``kind`` is complete."""


@dataclass
class MigrationResult:
    mode: Mode
    resumed: bool = False
    already_complete: bool = False
    read: dict[RecordKind, int] = field(default_factory=dict)  # source records this run
    inserted: dict[RecordKind, int] = field(default_factory=dict)  # new in the destination
    seconds: float = 0.0
    finalized: int = 0  # merge: active destination sessions ended with the source's counters
    rollup_groups: int = 0  # merge: rollup groups recomputed at the end

    @property
    def rows_per_second(self) -> float | None:
        rows = sum(self.read.values())
        return rows / self.seconds if self.seconds and rows else None


def checkpoint_key(source: Endpoint, name: str) -> str:
    """The destination state key of ``name`` (a kind, ``mode`` or ``complete``)."""
    return f"{CHECKPOINT_PREFIX}{source.identity}:{name}"


def _decode_key(text: str) -> RecordKey | None:
    if not text:
        return None
    value = json.loads(text)
    return tuple(value)


def migrate(
    source: Endpoint,
    destination: Endpoint,
    *,
    merge: bool = False,
    batch_size: int = 5000,
    observer: Observer | None = None,
    now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
) -> MigrationResult:
    """Copy (or merge, see ``loading``) everything from ``source`` into ``destination``,
    continuing an interrupted run; ``TransferError`` when the destination is refused."""
    if source.identity == destination.identity:
        raise TransferError(f"the source and the destination are the same store ({source.label})")
    if batch_size < 1:
        raise TransferError(f"--batch-size must be at least 1, got {batch_size}")
    observer = observer or Observer()
    store = destination.store
    mode = _begin(source, destination, merge)
    result = MigrationResult(mode=mode or ("merge" if merge else "copy"))
    if mode is None:
        result.already_complete = True
        return result
    result.resumed = any(store.get_state(checkpoint_key(source, kind)) for kind in RECORD_KINDS)
    loader = Loader(store, merge=mode == "merge")
    started = time.perf_counter()
    for kind in RECORD_KINDS:
        _copy_kind(source, destination, kind, loader, batch_size, observer, result)
    result.rollup_groups = loader.finish()
    result.finalized = loader.finalized
    store.set_state(checkpoint_key(source, "complete"), str(now_ms()))
    result.seconds = time.perf_counter() - started
    return result


def _begin(source: Endpoint, destination: Endpoint, merge: bool) -> Mode | None:
    """The mode to run in, with the destination's checkpoints set up for it; ``None`` when
    the migration already finished and there is nothing to do."""
    store = destination.store
    mode_key, complete_key = checkpoint_key(source, "mode"), checkpoint_key(source, "complete")
    stored = store.get_state(mode_key) or None
    complete = bool(store.get_state(complete_key))
    wanted: Mode = "merge" if merge else "copy"
    if complete:
        if not merge:
            return None
        # a new merge pass over a finished migration: start every kind over
        for kind in RECORD_KINDS:
            store.set_state(checkpoint_key(source, kind), "")
        store.set_state(complete_key, "")
        store.set_state(mode_key, wanted)
        return wanted
    if stored is not None:
        if stored != wanted:
            flag = "with --merge" if stored == "merge" else "without --merge"
            raise TransferError(
                f"an interrupted {stored} of this source into {destination.label} is "
                f"unfinished: run the same command {flag} to finish it"
            )
        return wanted
    if not merge and not is_empty(store):
        raise TransferError(
            f"the destination {destination.label} already holds data: migrate into an empty "
            "database, or add --merge to merge into it (by session UUID and video key)"
        )
    store.set_state(mode_key, wanted)
    return wanted


def _copy_kind(
    source: Endpoint,
    destination: Endpoint,
    kind: RecordKind,
    loader: Loader,
    batch_size: int,
    observer: Observer,
    result: MigrationResult,
) -> None:
    store = destination.store
    key = checkpoint_key(source, kind)
    checkpoint = store.get_state(key) or ""
    total = source.store.count_records(kind)
    if checkpoint == DONE or not loader.copies(kind):
        observer.kind_started(kind, total, total, loader.copies(kind))
        observer.kind_finished(kind)
        return
    after = _decode_key(checkpoint)
    done = 0 if after is None else min(total, store.count_records(kind))
    observer.kind_started(kind, total, done, True)
    read = inserted = 0
    for batch in source.store.iter_records(kind, after=after, batch_size=batch_size):
        inserted += loader.load(kind, loader.prepare(kind, batch))
        # After the load: a crash in between loads this batch again, which stores nothing.
        store.set_state(key, json.dumps(list(record_key(kind, batch[-1]))))
        read += len(batch)
        observer.batch_loaded(kind, len(batch))
    store.set_state(key, DONE)
    result.read[kind] = read
    result.inserted[kind] = inserted
    observer.kind_finished(kind)
