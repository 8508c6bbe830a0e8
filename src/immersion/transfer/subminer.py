"""Reading a SubMiner ``immersion.sqlite`` (domain reference §7), strictly read-only.

The file is opened with SQLite's ``mode=ro`` URI: nothing is ever written, not even a journal.
Which layout it has is read from the file itself: ``imm_schema_version`` (1 to 18 are
known; a newer one is refused) and the columns each table really has, so every layout from
version 1 on is read by the same code:

- v1: counters only in ``imm_session_telemetry`` (cumulative samples), ``words_delta`` on
  events, every time an INTEGER of epoch ms;
- v11+: final counters on ``imm_sessions``; v14+: ``yomitan_lookup_count`` (our
  ``dictionary_lookups``); v15+: ``ended_media_ms``; v16-17: ``*_ms`` columns may hold decimal
  TEXT; v17: ``tokens_delta`` instead of ``words_delta`` on events, no ``words_seen`` on
  sessions.

Rows come back as dictionaries of SubMiner's column names; ``number`` turns any stored number
(INTEGER, REAL or decimal TEXT) into an ``int``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from . import TransferError

__all__ = ["NEWEST_KNOWN_VERSION", "SubminerDatabase", "number"]

NEWEST_KNOWN_VERSION = 18
_TABLES = ("imm_videos", "imm_sessions", "imm_session_telemetry", "imm_session_events")
# How many events are read per query (a session can hold tens of thousands).
_EVENT_PAGE = 5000


def number(value: Any) -> int | None:
    """A stored number as an ``int`` (``None`` stays ``None``); ``ValueError`` for text that
    is no finite decimal number. Decimal text and REALs are rounded to the nearest integer."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return round(value)
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    try:
        parsed = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r:.40}") from None
    if not parsed.is_finite():
        raise ValueError(f"not a finite number: {text!r:.40}")
    return int(parsed.to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Layout:
    """The schema version and the columns of each table, as found in the file."""

    version: int
    columns: dict[str, frozenset[str]]

    def has(self, table: str, column: str) -> bool:
        return column in self.columns[table]


def _decode_text(data: bytes) -> str:
    # SubMiner wrote UTF-8; anything else is replaced, never a reason to stop the import.
    return data.decode("utf-8", "replace")


class SubminerDatabase:
    """A SubMiner database opened read-only; ``close`` when done (or use ``with``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise TransferError(f"{path} does not exist")
        uri = f"{path.absolute().as_uri()}?mode=ro"
        self._connection: sqlite3.Connection | None = None
        try:
            self._connection = sqlite3.connect(uri, uri=True)
            self._connection.text_factory = _decode_text
            self._connection.row_factory = sqlite3.Row
            self.layout = self._read_layout()
        except sqlite3.Error as exc:
            self.close()
            raise TransferError(
                f"cannot read {path} as a SubMiner database: {exc} (close SubMiner, or copy "
                "the file somewhere writable, and try again)"
            ) from None
        except BaseException:
            self.close()
            raise

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise TransferError(f"{self.path}: the SubMiner database is closed")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> SubminerDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_layout(self) -> Layout:
        tables = {
            row[0]
            for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        missing = [t for t in ("imm_schema_version", *_TABLES) if t not in tables]
        if missing:
            raise TransferError(
                f"{self.path} is not a SubMiner immersion database (no {', '.join(missing)} table)"
            )
        found = self._db.execute("SELECT MAX(schema_version) FROM imm_schema_version").fetchone()
        version = number(found[0]) if found is not None else None
        if version is None:
            raise TransferError(f"{self.path}: imm_schema_version is empty")
        if version > NEWEST_KNOWN_VERSION:
            raise TransferError(
                f"{self.path} has SubMiner schema version {version}; this importer knows "
                f"versions 1 to {NEWEST_KNOWN_VERSION}: upgrade immersion-tracker"
            )
        columns = {
            table: frozenset(
                row[1] for row in self._db.execute(f"PRAGMA table_info({table})").fetchall()
            )
            for table in _TABLES
        }
        return Layout(version=version, columns=columns)

    # ----------------------------------------------------------------- rows

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with closing(self._db.execute(sql, params)) as cursor:
            return [dict(row) for row in cursor.fetchall()]

    def videos(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM imm_videos ORDER BY video_id")

    def sessions(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM imm_sessions ORDER BY session_id")

    def telemetry(self, session_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM imm_session_telemetry WHERE session_id = ? ORDER BY telemetry_id",
            (session_id,),
        )

    def events(self, session_id: int) -> Iterator[list[dict[str, Any]]]:
        """One session's events by ``event_id``, a page at a time."""
        last = -1
        while True:
            page = self._all(
                "SELECT * FROM imm_session_events WHERE session_id = ? AND event_id > ? "
                "ORDER BY event_id LIMIT ?",
                (session_id, last, _EVENT_PAGE),
            )
            if page:
                yield page
            if len(page) < _EVENT_PAGE:
                return
            last = int(page[-1]["event_id"])

    def counts(self) -> dict[str, int]:
        """Rows per table (for the progress bar)."""
        return {
            table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in _TABLES
        }
