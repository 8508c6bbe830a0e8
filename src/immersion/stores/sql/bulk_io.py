"""The bulk transfer path of the SQL stores: ``iter_records``, ``count_records`` and
``load_records`` (the contract is in ``immersion.store``), mixed into ``SqlStore``.

Reading: every page is one short query on its own pooled connection, so a reader never holds
a transaction (or a server-side cursor) while its caller writes elsewhere. Small tables page
by keyset on their natural key (``WHERE key > :last ORDER BY key LIMIT :n``). Telemetry and
events are read per session instead: sessions come in UUID order, 500 at a time, with their
row counts; sessions small enough are fetched together (``session_id IN (...)``, in the
unique index's order) and big ones page by ``seq`` alone, so no query sorts more than one
batch and none scans past the rows it returns.

Loading: records are validated (``record_validation.check_records``), their parents' public
keys resolved to ids in one query per batch (an unknown one is a ``StoreIntegrityError``),
then inserted in one transaction by the fastest safe path of the engine (``bulk_insert``:
``COPY`` on PostgreSQL, executemany elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, Table, and_, bindparam, func, or_, select
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from ...errors import StoreIntegrityError
from ...records import Record, RecordKey, RecordKind, check_kind, record_key
from ..record_validation import check_records
from . import ledger_days
from .bulk_insert import InsertPaths, values_of
from .bulk_rows import SESSION_ROWS, SPECS, KindSpec, event_from, sample_from
from .schema import sessions, videos

__all__ = ["DEFAULT_BATCH_SIZE", "BulkIO"]

DEFAULT_BATCH_SIZE = 5000
# Sessions listed per query when reading telemetry and events.
SESSION_CHUNK = 500
# Keys per ``IN (...)`` list (SQLite allows 32,766 variables; servers prefer short lists).
_IN_CHUNK = 1000

_PARENTS = {
    "video": (videos.c.video_key, videos.c.id),
    "session": (sessions.c.session_uuid, sessions.c.id),
}
_SESSION_ID = select(sessions.c.id).where(sessions.c.session_uuid == bindparam("p_uuid"))


def _after(order: Sequence[ColumnElement[Any]], key: RecordKey) -> ColumnElement[bool]:
    """Rows whose ``order`` columns come strictly after ``key`` (lexicographically)."""
    if len(key) != len(order):
        raise ValueError(f"a resume key needs {len(order)} parts, got {key!r}")
    first, value = order[0], key[0]
    if len(order) == 1:
        return first > value
    return or_(first > value, and_(first == value, _after(order[1:], key[1:])))


class BulkIO:
    """``iter_records`` / ``count_records`` / ``load_records`` of ``SqlStore``."""

    if TYPE_CHECKING:  # supplied by SqlStore

        def _reading(self, operation: str) -> AbstractContextManager[Connection]: ...

        def _writing(self, operation: str) -> AbstractContextManager[Connection]: ...

        def _check_usable(self, operation: str, *, writes: bool = False) -> None: ...

        def insert_ignore(self, table: Table, conflict_columns: Sequence[str]) -> Insert: ...

    # ----------------------------------------------------------------- reading

    def iter_records(
        self, kind: RecordKind, *, after: RecordKey | None = None, batch_size: int = 5000
    ) -> Iterator[list[Record]]:
        checked = check_kind(kind)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if checked in SESSION_ROWS:
            return self._iter_per_session(checked, after, batch_size)
        return self._iter_keyset(checked, after, batch_size)

    def count_records(self, kind: RecordKind) -> int:
        spec = SPECS[check_kind(kind)]
        statement = select(func.count()).select_from(spec.table)
        if kind == "lifetime_global":
            statement = statement.where(spec.table.c.id == 1)
        with self._reading(f"count_records({kind})") as connection:
            return int(connection.scalar(statement) or 0)

    def _iter_keyset(
        self, kind: RecordKind, after: RecordKey | None, batch_size: int
    ) -> Iterator[list[Record]]:
        spec = SPECS[kind]
        assert spec.query is not None and spec.from_row is not None
        from_row = spec.from_row
        while True:
            statement = spec.query
            if spec.order:
                if after is not None:
                    statement = statement.where(_after(spec.order, after))
                statement = statement.order_by(*spec.order).limit(batch_size)
            with self._reading(f"iter_records({kind})") as connection:
                rows = connection.execute(statement).all()
            if not rows:
                return
            records = [from_row(row._mapping) for row in rows]
            yield records
            if len(rows) < batch_size or not spec.order:
                return
            after = record_key(kind, records[-1])

    def _iter_per_session(
        self, kind: RecordKind, after: RecordKey | None, batch_size: int
    ) -> Iterator[list[Record]]:
        operation = f"iter_records({kind})"
        buffer: list[Record] = []
        cursor: str | None = None  # sessions with a greater UUID are still to come
        if after is not None:
            if len(after) != 2:
                raise ValueError(f"a {kind} resume key is (session_uuid, seq), got {after!r}")
            cursor, seq = str(after[0]), int(after[1])
            with self._reading(operation) as connection:
                session_id = connection.scalar(_SESSION_ID, {"p_uuid": cursor})
            if session_id is not None:
                for page in self._pages(kind, session_id, cursor, seq, batch_size):
                    buffer.extend(page)
                    yield from _full_batches(buffer, batch_size)
        table = SESSION_ROWS[kind][0]
        while True:
            chunk_query = select(sessions.c.id, sessions.c.session_uuid)
            if cursor is not None:
                chunk_query = chunk_query.where(sessions.c.session_uuid > cursor)
            chunk_query = chunk_query.order_by(sessions.c.session_uuid).limit(SESSION_CHUNK)
            with self._reading(operation) as connection:
                chunk = [(int(i), str(u)) for i, u in connection.execute(chunk_query)]
                if not chunk:
                    break
                counts: dict[int, int] = dict(
                    connection.execute(
                        select(table.c.session_id, func.count())
                        .where(table.c.session_id.in_([i for i, _ in chunk]))
                        .group_by(table.c.session_id)
                    ).all()
                )
            group: list[tuple[int, str]] = []
            size = 0
            for session_id, uuid in chunk:
                count = int(counts.get(session_id, 0))
                if not count:
                    continue
                if group and size + count > batch_size:
                    buffer.extend(self._group(kind, group))
                    yield from _full_batches(buffer, batch_size)
                    group, size = [], 0
                if count > batch_size:  # page through a big session on its own
                    for page in self._pages(kind, session_id, uuid, -1, batch_size):
                        buffer.extend(page)
                        yield from _full_batches(buffer, batch_size)
                    continue
                group.append((session_id, uuid))
                size += count
            if group:
                buffer.extend(self._group(kind, group))
                yield from _full_batches(buffer, batch_size)
            cursor = chunk[-1][1]
            if len(chunk) < SESSION_CHUNK:
                break
        if buffer:
            yield buffer

    def _pages(
        self, kind: RecordKind, session_id: int, uuid: str, after_seq: int, batch_size: int
    ) -> Iterator[list[Record]]:
        """The rows of one session with ``seq > after_seq``, by ``seq``, a page at a time."""
        table, columns = SESSION_ROWS[kind]
        convert = sample_from if kind == "telemetry" else event_from
        while True:
            statement = (
                select(*columns)
                .where(table.c.session_id == session_id, table.c.seq > after_seq)
                .order_by(table.c.seq)
                .limit(batch_size)
            )
            with self._reading(f"iter_records({kind})") as connection:
                rows = _raw_rows(connection, statement)
            if rows:
                yield [convert(uuid, row) for row in rows]
            if len(rows) < batch_size:
                return
            after_seq = int(rows[-1][1])

    def _group(self, kind: RecordKind, group: list[tuple[int, str]]) -> list[Record]:
        """Every row of the sessions of ``group`` (in its UUID order), by ``seq``."""
        table, columns = SESSION_ROWS[kind]
        convert = sample_from if kind == "telemetry" else event_from
        statement = (
            select(*columns)
            .where(table.c.session_id.in_([session_id for session_id, _ in group]))
            .order_by(table.c.session_id, table.c.seq)
        )
        with self._reading(f"iter_records({kind})") as connection:
            rows = _raw_rows(connection, statement)
        per_session: dict[int, list[Any]] = {}
        for row in rows:
            per_session.setdefault(row[0], []).append(row)
        return [
            convert(uuid, row)
            for session_id, uuid in group
            for row in per_session.get(session_id, [])
        ]

    # ----------------------------------------------------------------- loading

    def load_records(self, kind: RecordKind, records: Sequence[Record]) -> int:
        checked = check_kind(kind)
        valid = check_records(checked, records)
        operation = f"load_records({checked})"
        if not valid:
            self._check_usable(operation, writes=True)
            return 0
        spec = SPECS[checked]
        with self._writing(operation) as connection:
            ids = self._parent_ids(connection, checked, spec, valid)
            to_row, parent_key = spec.to_row, spec.parent_key
            if parent_key is None:
                built = [to_row(record, None) for record in valid]
            else:
                built = [to_row(record, ids[parent_key(record)]) for record in valid]
            key = values_of(spec.conflict)
            rows: dict[tuple[Any, ...], dict[str, Any]] = {}
            for row in built:
                rows.setdefault(key(row), row)  # the first of equal keys wins
            inserted = self.bulk_insert(connection, checked, spec, list(rows.values()))
            if checked == "ledger" and inserted:
                # ledger_days is derived from the ledger: sum the days again (some rows may
                # have been skipped as already stored, so not from the records themselves)
                ledger_days.rebuild_days(connection, (row["local_day"] for row in rows.values()))
            return inserted

    def _parent_ids(
        self, connection: Connection, kind: RecordKind, spec: KindSpec, records: list[Record]
    ) -> dict[str, int]:
        """The ids of the videos or sessions the records name; ``StoreIntegrityError``
        naming the first record whose parent is not stored."""
        if spec.parent is None or spec.parent_key is None:
            return {}
        key_column, id_column = _PARENTS[spec.parent]
        wanted = list(dict.fromkeys(spec.parent_key(record) for record in records))
        ids: dict[str, int] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            part = wanted[start : start + _IN_CHUNK]
            query = select(key_column, id_column).where(key_column.in_(part))
            ids.update((str(key), int(i)) for key, i in connection.execute(query))
        if len(ids) < len(wanted):
            for index, record in enumerate(records):
                key = spec.parent_key(record)
                if key not in ids:
                    raise StoreIntegrityError(
                        f"{kind} record {index} names an unknown {spec.parent} {key!r}"
                    )
        return ids

    @cached_property
    def _inserts(self) -> InsertPaths:
        return InsertPaths(self.insert_ignore)

    def bulk_insert(
        self, connection: Connection, kind: RecordKind, spec: KindSpec, rows: list[dict[str, Any]]
    ) -> int:
        """Insert ``rows`` (unique per ``spec.conflict``), skipping those already stored;
        how many were inserted. Hook: the fastest safe path per engine (``bulk_insert``)."""
        return self._inserts.insert(connection, kind, spec, rows)


def _full_batches(buffer: list[Record], batch_size: int) -> Iterator[list[Record]]:
    """Yield (and remove) full batches from the front of ``buffer``."""
    while len(buffer) >= batch_size:
        yield buffer[:batch_size]
        del buffer[:batch_size]


def _raw_rows(connection: Connection, statement: Select[Any]) -> list[Any]:
    """The rows of ``statement`` as the driver's plain tuples.

    Why: for millions of samples and events SQLAlchemy's result rows cost more than the
    query. Only for statements whose parameters are all integers (ids, ``seq``, limits),
    which are rendered into the SQL; the columns read need no result processing (integers
    and text)."""
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()
