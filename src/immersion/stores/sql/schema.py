"""The SQL schema at the head revision, as SQLAlchemy Core tables.

One schema for SQLite, PostgreSQL and MySQL/MariaDB. The queries of the SQL stores are written
against these ``Table`` objects; the Alembic revisions in ``migrations/versions`` create the same
thing (a test compares the two, so they cannot drift apart).

Portability rules, chosen so later revisions and backends need no schema churn:

- times are ``BIGINT`` epoch ms; a local day is ``INTEGER`` days since 1970-01-01, a month
  ``INTEGER`` ``YYYYMM``. No dialect date functions anywhere.
- integer surrogate keys (``id``) never leave the adapter; the public identifiers are
  ``videos.video_key`` and ``sessions.session_uuid``. On SQLite the keys are ``INTEGER PRIMARY
  KEY`` (the rowid), elsewhere ``BIGINT``.
- key strings compare by code point on every engine (``COLLATE "C"`` on PostgreSQL, the
  server's binary NO PAD collation on MySQL/MariaDB, see ``CodePointVarchar``), so uniqueness
  and ordering match Python's ``str`` and the in-memory store; their length keeps MySQL's
  3072-byte index limit (768 x 4 bytes).
- free text is ``TEXT``, ``LONGTEXT`` on MySQL (whose ``TEXT`` holds only 64 KiB).
- every constraint and index has an explicit, short name, so a later revision can drop or
  alter it on all three engines.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeEngine

from ...analytics import LEDGER_COUNTERS
from ...domain import COUNTER_NAMES

__all__ = [
    "COUNTER_NAMES",
    "EVENTS_IN_ORDER_INDEX",
    "LEDGER_COUNTERS",
    "NAMING_CONVENTION",
    "CodePointVarchar",
    "activity_days",
    "code_point_collation",
    "daily_rollups",
    "events",
    "key_string",
    "ledger_days",
    "lifetime_global",
    "lifetime_videos",
    "long_text",
    "maintenance_state",
    "metadata",
    "monthly_rollups",
    "rollup_dirty",
    "session_totals",
    "sessions",
    "surrogate_key",
    "telemetry",
    "videos",
]

# Names for constraints nobody named explicitly (Alembic needs names to alter them later).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# MySQL: InnoDB for foreign keys and transactions, utf8mb4 for emoji and all of CJK.
MYSQL_TABLE_OPTIONS: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def surrogate_key() -> TypeEngine[int]:
    """``BIGINT``, but ``INTEGER`` on SQLite so the column is the table's rowid."""
    return BigInteger().with_variant(Integer(), "sqlite")


class CodePointVarchar(mysql.VARCHAR):
    """A MySQL/MariaDB ``utf8mb4`` ``VARCHAR`` in the binary NO PAD collation of the server
    the DDL runs on (``code_point_collation``), decided when the table is created.

    Why: ``utf8mb4_bin`` is PAD SPACE, so ``'a'`` and ``'a '`` would be one key in a unique
    index and ``=`` would match both; the NO PAD binary collations compare exactly.
    """


def code_point_collation(dialect: Dialect) -> str:
    """The exact, code-point-ordered ``utf8mb4`` collation of ``dialect``'s server.

    ``utf8mb4_nopad_bin`` on MariaDB (10.2+), ``utf8mb4_0900_bin`` on MySQL 8.0.17+;
    ``utf8mb4_bin`` (PAD SPACE: trailing spaces ignored) on older servers, and for offline SQL
    for an unknown MySQL version.
    """
    version = dialect.server_version_info
    if getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin" if version is None or version >= (10, 2) else "utf8mb4_bin"
    if version is not None and version >= (8, 0, 17):
        return "utf8mb4_0900_bin"
    return "utf8mb4_bin"


@compiles(CodePointVarchar, "mysql")
@compiles(CodePointVarchar, "mariadb")
def _compile_code_point_varchar(type_: CodePointVarchar, compiler: Any, **kw: Any) -> str:
    collation = code_point_collation(compiler.dialect)
    exact = mysql.VARCHAR(type_.length, charset="utf8mb4", collation=collation)
    return str(compiler.process(exact, **kw))


def key_string(length: int) -> TypeEngine[str]:
    """A bounded string compared by code point on every engine (see the module docstring)."""
    return (
        String(length)
        .with_variant(String(length, collation="C"), "postgresql")
        .with_variant(CodePointVarchar(length), "mysql", "mariadb")
    )


def long_text() -> TypeEngine[str]:
    """Unbounded text: ``TEXT``, but ``LONGTEXT`` on MySQL (its ``TEXT`` stops at 64 KiB)."""
    return Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def _counter_columns() -> list[Column[int]]:
    return [
        Column(name, BigInteger, nullable=False, server_default=text("0")) for name in COUNTER_NAMES
    ]


videos = Table(
    "videos",
    metadata,
    Column("id", surrogate_key(), primary_key=True, autoincrement=True),
    Column("video_key", key_string(768), nullable=False),
    Column("title", long_text(), nullable=False),
    Column("source_type", SmallInteger, nullable=False),
    Column("source_path", long_text()),
    Column("source_url", long_text()),
    Column("duration_ms", BigInteger),
    # domain.VideoMetadata, one column per field
    Column("file_size_bytes", BigInteger),
    Column("codec", long_text()),
    Column("width_px", Integer),
    Column("height_px", Integer),
    Column("fps_x100", Integer),
    Column("bitrate_kbps", BigInteger),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    UniqueConstraint("video_key", name="uq_videos_video_key"),
    # never reuse the id of a deleted row: a cached id must not come to mean another row
    sqlite_autoincrement=True,
    **MYSQL_TABLE_OPTIONS,
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", surrogate_key(), primary_key=True, autoincrement=True),
    Column("session_uuid", key_string(36), nullable=False),
    Column(
        "video_id",
        surrogate_key(),
        ForeignKey("videos.id", name="fk_sessions_video_id_videos"),
        nullable=False,
    ),
    Column("started_at_ms", BigInteger, nullable=False),
    Column("ended_at_ms", BigInteger),
    Column("status", SmallInteger, nullable=False),  # domain.SessionStatus
    Column("local_day", Integer, nullable=False),  # domain.day_number
    Column("local_month", Integer, nullable=False),  # YYYYMM
    Column("local_hour", Integer, nullable=False),
    Column("ended_media_ms", BigInteger),
    # the sample that last raised the live counters (highest seq of the active session)
    Column("last_sample_ms", BigInteger),
    Column("last_sample_seq", BigInteger),
    *_counter_columns(),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    UniqueConstraint("session_uuid", name="uq_sessions_session_uuid"),
    # session_summaries: newest start first, ties by UUID
    Index("ix_sessions_started_at_ms_session_uuid", "started_at_ms", "session_uuid"),
    # video_stats and per-video reads; also serves the foreign key on MySQL
    Index("ix_sessions_video_id_started_at_ms", "video_id", "started_at_ms"),
    # active sessions (overview, stale-session closing)
    Index("ix_sessions_status", "status"),
    # pruning ended sessions
    Index("ix_sessions_ended_at_ms", "ended_at_ms"),
    sqlite_autoincrement=True,
    **MYSQL_TABLE_OPTIONS,
)


def _session_fk(table: str) -> Column[int]:
    return Column(
        "session_id",
        surrogate_key(),
        ForeignKey("sessions.id", name=f"fk_{table}_session_id_sessions", ondelete="CASCADE"),
        nullable=False,
    )


telemetry = Table(
    "telemetry",
    metadata,
    Column("id", surrogate_key(), primary_key=True, autoincrement=True),
    _session_fk("telemetry"),
    Column("seq", BigInteger, nullable=False),
    Column("sample_ms", BigInteger, nullable=False),
    *_counter_columns(),
    # identity of a sample: replays are ignored; also serves the foreign key on MySQL
    UniqueConstraint("session_id", "seq", name="uq_telemetry_session_id_seq"),
    # session_timeline: newest first by (sample_ms, seq), fully ordered by the index
    Index("ix_telemetry_session_id_sample_ms_seq", "session_id", "sample_ms", "seq"),
    # pruning
    Index("ix_telemetry_sample_ms", "sample_ms"),
    **MYSQL_TABLE_OPTIONS,
)

# session_events reads a session's events in order through it (named: MariaDB is told to use it)
EVENTS_IN_ORDER_INDEX = "ix_events_session_id_ts_ms_seq_event_type"
events = Table(
    "events",
    metadata,
    Column("id", surrogate_key(), primary_key=True, autoincrement=True),
    _session_fk("events"),
    Column("seq", BigInteger, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("event_type", SmallInteger, nullable=False),  # domain.EventType
    Column("line_index", BigInteger),
    Column("segment_start_ms", BigInteger),
    Column("segment_end_ms", BigInteger),
    Column("words_delta", BigInteger, nullable=False, server_default=text("0")),
    Column("cards_delta", BigInteger, nullable=False, server_default=text("0")),
    Column("payload_json", long_text()),
    UniqueConstraint("session_id", "seq", name="uq_events_session_id_seq"),
    # session_events: oldest first by (ts_ms, seq); the type in the entry so that a read of
    # some types tests it on the index, not on each row (revision 0004)
    Index(EVENTS_IN_ORDER_INDEX, "session_id", "ts_ms", "seq", "event_type"),
    # pruning
    Index("ix_events_ts_ms", "ts_ms"),
    **MYSQL_TABLE_OPTIONS,
)

maintenance_state = Table(
    "maintenance_state",
    metadata,
    Column("key", key_string(100), primary_key=True),
    Column("value", long_text(), nullable=False),
    **MYSQL_TABLE_OPTIONS,
)


# ----------------------------------------------------------------- revision 0002: rollups
#
# Rollups, lifetime totals and day activity are maintained from ``session_totals``, the
# ledger of final counters per ended session (see ``immersion.stores.ledger``). Only integer
# sums are stored; minutes and ratios are computed on read.


def _ledger_counter_columns() -> list[Column[int]]:
    return [
        Column(name, BigInteger, nullable=False, server_default=text("0"))
        for name in LEDGER_COUNTERS
    ]


def _video_fk(table: str, **options: Any) -> Column[int]:
    return Column(
        "video_id",
        surrogate_key(),
        ForeignKey("videos.id", name=f"fk_{table}_video_id_videos"),
        nullable=False,
        **options,
    )


session_totals = Table(
    "session_totals",
    metadata,
    Column("id", surrogate_key(), primary_key=True, autoincrement=True),
    Column("session_uuid", key_string(36), nullable=False),
    _video_fk("session_totals"),
    Column("started_at_ms", BigInteger, nullable=False),
    Column("ended_at_ms", BigInteger, nullable=False),
    Column("local_day", Integer, nullable=False),  # domain.day_number
    Column("local_month", Integer, nullable=False),  # YYYYMM
    Column("local_hour", Integer, nullable=False),
    Column("local_weekday", Integer, nullable=False),  # 0 = Monday, from local_day
    *_ledger_counter_columns(),
    # 1 once the row's counters are in the lifetime totals and day activity
    Column("lifetime_applied", SmallInteger, nullable=False, server_default=text("0")),
    UniqueConstraint("session_uuid", name="uq_session_totals_session_uuid"),
    # range reads (throughput, trends), pruning
    Index("ix_session_totals_local_day", "local_day"),
    # a (video, day) group's rows: recompute, active days; also serves the FK on MySQL
    Index("ix_session_totals_video_id_local_day", "video_id", "local_day"),
    # a (video, month) group's rows
    Index("ix_session_totals_local_month", "local_month"),
    **MYSQL_TABLE_OPTIONS,
)


def _rollup_table(name: str, period: str) -> Table:
    return Table(
        name,
        metadata,
        Column(period, Integer, primary_key=True, autoincrement=False),
        _video_fk(name, primary_key=True, autoincrement=False),
        Column("sessions", BigInteger, nullable=False, server_default=text("0")),
        *_ledger_counter_columns(),
        # one video's rollups (``video_key=``); also serves the FK on MySQL
        Index(f"ix_{name}_video_id_{period}", "video_id", period),
        **MYSQL_TABLE_OPTIONS,
    )


# PK (local_day, video_id): newest days first, pruning by day
daily_rollups = _rollup_table("daily_rollups", "local_day")
# PK (local_month, video_id)
monthly_rollups = _rollup_table("monthly_rollups", "local_month")

# Rollup groups touched since they were last recomputed (no FK: bookkeeping only).
rollup_dirty = Table(
    "rollup_dirty",
    metadata,
    Column("period_kind", SmallInteger, primary_key=True, autoincrement=False),  # 1 day, 2 month
    Column("period", Integer, primary_key=True, autoincrement=False),
    Column("video_id", surrogate_key(), primary_key=True, autoincrement=False),
    **MYSQL_TABLE_OPTIONS,
)


def _lifetime_columns() -> list[Column[Any]]:
    return [
        Column("sessions", BigInteger, nullable=False, server_default=text("0")),
        *_ledger_counter_columns(),
        Column("active_days", BigInteger, nullable=False, server_default=text("0")),
        Column("first_watched_ms", BigInteger),  # earliest session start
        Column("last_watched_ms", BigInteger),  # latest session end
    ]


lifetime_videos = Table(
    "lifetime_videos",
    metadata,
    _video_fk("lifetime_videos", primary_key=True, autoincrement=False),
    *_lifetime_columns(),
    **MYSQL_TABLE_OPTIONS,
)

# One row, id = 1.
lifetime_global = Table(
    "lifetime_global",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    *_lifetime_columns(),
    Column("last_started_ms", BigInteger),  # latest session start (the overview's)
    **MYSQL_TABLE_OPTIONS,
)

# Global activity per local day: streaks, calendar, active days. Tiny; never pruned.
activity_days = Table(
    "activity_days",
    metadata,
    Column("local_day", Integer, primary_key=True, autoincrement=False),
    Column("sessions", BigInteger, nullable=False, server_default=text("0")),
    Column("active_watched_ms", BigInteger, nullable=False, server_default=text("0")),
    Column("cards_mined", BigInteger, nullable=False, server_default=text("0")),
    Column("words_seen", BigInteger, nullable=False, server_default=text("0")),
    **MYSQL_TABLE_OPTIONS,
)


# ----------------------------------------------------------------- revision 0003: ledger days
#
# The ledger summed per local day: derived from ``session_totals`` (a day's row is rebuilt
# whenever one of its ledger rows changes, and goes when they are pruned), so a day series is
# a primary key range of at most one row per day rather than a GROUP BY over every session.
ledger_days = Table(
    "ledger_days",
    metadata,
    Column("local_day", Integer, primary_key=True, autoincrement=False),
    Column("local_month", Integer, nullable=False),  # YYYYMM, from local_day
    Column("local_weekday", Integer, nullable=False),  # 0 = Monday, from local_day
    Column("sessions", BigInteger, nullable=False, server_default=text("0")),
    *_ledger_counter_columns(),
    **MYSQL_TABLE_OPTIONS,
)
