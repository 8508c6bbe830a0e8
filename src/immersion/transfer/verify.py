"""Verification: does the destination hold what the source holds?

Per kind, both stores are read in full through ``iter_records`` and summarized as a row count
and an order-independent checksum: the sum, modulo 2**128, of the first 16 bytes of the
SHA-256 of each record's canonical row (``codec.encode``: every field, counters and event
payloads included, in a fixed order). A sum, unlike XOR, does not cancel out a record that
is present twice.

- After a **copy** both sides must agree on every kind (maintenance state compared without
  the migration's own ``migrate:`` checkpoints).
- After a **merge** the destination holds more than the source: each source record is looked
  up in the destination by natural key (both are read in the same key order, so this is a
  merge join, in constant memory). A missing record fails the verification; a record both
  hold in different versions is a *conflict*: the destination's version was kept on purpose
  (reported, not a failure). Ledger entries are compared without ``lifetime_applied``. The
  derived kinds (rollups, lifetime totals, day activity) were recomputed, not copied: their
  destination counts are shown for information.
"""

from __future__ import annotations

import hashlib
import marshal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..records import DERIVED_KINDS, RECORD_KINDS, Record, RecordKind, StateRecord, record_key
from ..store import ImmersionTrackingStore
from .codec import FIELDS, encoder
from .loading import CHECKPOINT_PREFIX

__all__ = ["KindCheck", "Verification", "digest", "verify"]

_MODULUS = 1 << 128
_LIFETIME_APPLIED = [name for name, _ in FIELDS["ledger"]].index("lifetime_applied")

# Called with (kind, records done) as the verification reads: after a copy both stores'
# records count (up to twice the source's), after a merge the source's.
Tick = Callable[[RecordKind, int], None]


def digest(row: tuple[Any, ...]) -> int:
    """The checksum contribution of one canonical row: its values serialized by ``marshal``
    format 2 (deterministic for ints, strings, ``None`` and booleans, and it has no
    back-references, so equal values always give equal bytes), hashed with SHA-256."""
    return int.from_bytes(hashlib.sha256(marshal.dumps(row, 2)).digest()[:16], "big")


@dataclass
class KindCheck:
    """The verification of one kind."""

    kind: RecordKind
    source_rows: int
    destination_rows: int
    source_checksum: int
    destination_checksum: int  # copy: all rows; merge: the rows matching source keys
    missing: int = 0  # merge: source records the destination lacks
    conflicts: int = 0  # merge: records both hold, in different versions
    recomputed: bool = False  # merge: a derived kind, not compared

    merge: bool = False  # compared after a merge (see the module docstring)

    @property
    def ok(self) -> bool:
        if self.recomputed:
            return True
        if self.merge:  # conflicts kept the destination's version on purpose
            return self.missing == 0
        return (self.source_rows, self.source_checksum) == (
            self.destination_rows,
            self.destination_checksum,
        )


@dataclass
class Verification:
    checks: list[KindCheck]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def _records(
    store: ImmersionTrackingStore, kind: RecordKind, batch_size: int, tick: Tick | None
) -> Iterator[list[Record]]:
    """The batches of ``kind`` (maintenance state without checkpoints); ``tick`` after each."""
    done = 0
    for batch in store.iter_records(kind, batch_size=batch_size):
        yield [r for r in batch if not _checkpoint(r)] if kind == "state" else batch
        done += len(batch)
        if tick is not None:
            tick(kind, done)


def _keyed_rows(
    store: ImmersionTrackingStore, kind: RecordKind, batch_size: int, tick: Tick | None
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """``(natural key, canonical row)`` of every record of ``kind``, in key order."""
    encode = encoder(kind)
    for batch in _records(store, kind, batch_size, tick):
        for record in batch:
            yield record_key(kind, record), encode(record)


def _summary(
    store: ImmersionTrackingStore, kind: RecordKind, batch_size: int, tick: Tick | None
) -> tuple[int, int]:
    """``(records, checksum)`` of ``kind`` in ``store``."""
    encode = encoder(kind)
    count = total = 0
    for batch in _records(store, kind, batch_size, tick):
        count += len(batch)
        total += sum(digest(encode(record)) for record in batch)
    return count, total % _MODULUS


def _checkpoint(record: Record) -> bool:
    return isinstance(record, StateRecord) and record.key.startswith(CHECKPOINT_PREFIX)


def _comparable(kind: RecordKind, row: tuple[Any, ...]) -> tuple[Any, ...]:
    if kind == "ledger":  # applying an entry to the lifetime totals is not a difference
        return row[:_LIFETIME_APPLIED] + row[_LIFETIME_APPLIED + 1 :]
    return row


def _copy_check(
    source: ImmersionTrackingStore,
    destination: ImmersionTrackingStore,
    kind: RecordKind,
    batch_size: int,
    tick: Tick | None,
) -> KindCheck:
    # One side after the other: reading both at once in two threads was measured slower
    # (the GIL hand-overs cost more than the overlapped waits save).
    source_rows, source_sum = _summary(source, kind, batch_size, tick)
    # progress goes on counting: both sides are read in full
    theirs = None if tick is None else lambda k, done: tick(k, source_rows + done)
    destination_rows, destination_sum = _summary(destination, kind, batch_size, theirs)
    return KindCheck(kind, source_rows, destination_rows, source_sum, destination_sum)


def _merge_check(
    source: ImmersionTrackingStore,
    destination: ImmersionTrackingStore,
    kind: RecordKind,
    batch_size: int,
    tick: Tick | None,
) -> KindCheck:
    if kind in DERIVED_KINDS:
        rows = destination.count_records(kind)
        return KindCheck(kind, source.count_records(kind), rows, 0, 0, recomputed=True, merge=True)
    check = KindCheck(kind, 0, 0, 0, 0, merge=True)
    theirs = _keyed_rows(destination, kind, batch_size, None)
    current = next(theirs, None)
    for key, row in _keyed_rows(source, kind, batch_size, tick):
        check.source_rows += 1
        mine = _comparable(kind, row)
        check.source_checksum = (check.source_checksum + digest(mine)) % _MODULUS
        while current is not None and current[0] < key:
            check.destination_rows += 1
            current = next(theirs, None)
        if current is None or current[0] != key:
            check.missing += 1
            continue
        found = _comparable(kind, current[1])
        check.destination_checksum = (check.destination_checksum + digest(found)) % _MODULUS
        if found != mine:
            check.conflicts += 1
        check.destination_rows += 1
        current = next(theirs, None)
    while current is not None:
        check.destination_rows += 1
        current = next(theirs, None)
    return check


def verify(
    source: ImmersionTrackingStore,
    destination: ImmersionTrackingStore,
    *,
    merge: bool,
    batch_size: int = 5000,
    tick: Tick | None = None,
) -> Verification:
    """Compare every kind of ``source`` with ``destination`` (module docstring)."""
    started = time.perf_counter()
    check = _merge_check if merge else _copy_check
    checks = [check(source, destination, kind, batch_size, tick) for kind in RECORD_KINDS]
    return Verification(checks, round(time.perf_counter() - started, 3))
