"""The durable outbox: where writes wait while an external store is unreachable.

A small SQLite file (stdlib ``sqlite3``; it is a local spool, not a store) holding encoded
writes in arrival order. Only the worker thread touches it, so the recording hot path never
does I/O because of it. Rows leave the outbox only after the store acknowledged them; replay
is safe to repeat because ``write_batch`` is idempotent (a batch whose commit succeeded but
whose acknowledgement was lost is simply ignored the second time).

The outbox is bounded (``cap`` writes) with the same overflow policy as the in-memory queue;
session boundaries are never dropped. Two trackers writing to the same store share one outbox
file, which is safe for the same reason replay is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from ..writes import Write
from ..writes_codec import decode_write, encode_write
from .queue import OverflowPolicy

__all__ = ["Outbox"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    boundary INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
)
"""


class Outbox:
    """A FIFO of writes in an SQLite file, bounded by ``cap`` with ``policy``."""

    def __init__(self, path: Path, cap: int, policy: OverflowPolicy) -> None:
        self.path = path
        self.cap = cap
        self.policy = policy
        path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: every append/remove is its own short transaction
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(_SCHEMA)
        self.depth = self._count()
        self.peak = self.depth

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def append(self, writes: Sequence[tuple[Write, bool]]) -> list[str]:
        """Add ``(write, is_boundary)`` pairs in order; returns the kinds of writes the
        overflow policy dropped (to be counted by the caller)."""
        dropped: list[str] = []
        rows = []
        room = self.cap - self.depth
        for write, boundary in writes:
            kind = type(write).__name__
            if room <= 0 and not boundary and self.policy == "drop_newest":
                dropped.append(kind)
                continue
            rows.append((int(boundary), kind, encode_write(write)))
            room -= 1
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO outbox (boundary, kind, body) VALUES (?, ?, ?)", rows)
            self.depth += len(rows)
            excess = self.depth - self.cap
            if excess > 0 and self.policy == "drop_oldest":
                oldest = self._db.execute(
                    "SELECT id, kind FROM outbox WHERE boundary = 0 ORDER BY id LIMIT ?",
                    (excess,),
                ).fetchall()
                self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i, _ in oldest])
                self.depth -= len(oldest)
                dropped.extend(kind for _, kind in oldest)
        self.peak = max(self.peak, self.depth)
        return dropped

    def peek(self, limit: int) -> list[tuple[int, Write | None, str]]:
        """The oldest ``limit`` rows as ``(id, write, kind)``; ``write`` is ``None`` when a row
        cannot be decoded (the caller dead-letters it)."""
        rows = self._db.execute(
            "SELECT id, kind, body FROM outbox ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        out: list[tuple[int, Write | None, str]] = []
        for row_id, kind, body in rows:
            try:
                out.append((row_id, decode_write(body), kind))
            except (ValueError, TypeError, KeyError):
                out.append((row_id, None, kind))
        return out

    def remove(self, ids: Sequence[int]) -> None:
        """Forget rows the store has acknowledged (or that were dead-lettered)."""
        if not ids:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
        self.depth = self._count()

    def close(self) -> None:
        self._db.close()
