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
- key strings compare by code point on every engine (``COLLATE "C"`` on PostgreSQL,
  ``utf8mb4_bin`` on MySQL), so uniqueness and ordering match Python's ``str`` and the
  in-memory store; their length keeps MySQL's 3072-byte index limit (768 x 4 bytes).
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
from sqlalchemy.types import TypeEngine

from ...domain import COUNTER_NAMES

__all__ = [
    "COUNTER_NAMES",
    "NAMING_CONVENTION",
    "events",
    "key_string",
    "maintenance_state",
    "metadata",
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


def key_string(length: int) -> TypeEngine[str]:
    """A bounded string compared by code point on every engine (see the module docstring)."""
    return (
        String(length)
        .with_variant(String(length, collation="C"), "postgresql")
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
    )


def _counter_columns() -> list[Column[int]]:
    return [
        Column(name, BigInteger, nullable=False, server_default=text("0")) for name in COUNTER_NAMES
    ]


videos = Table(
    "videos",
    metadata,
    Column("id", surrogate_key(), primary_key=True, autoincrement=True),
    Column("video_key", key_string(768), nullable=False),
    Column("title", Text, nullable=False),
    Column("source_type", SmallInteger, nullable=False),
    Column("source_path", Text),
    Column("source_url", Text),
    Column("duration_ms", BigInteger),
    # domain.VideoMetadata, one column per field
    Column("file_size_bytes", BigInteger),
    Column("codec", Text),
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
    Column("payload_json", Text),
    UniqueConstraint("session_id", "seq", name="uq_events_session_id_seq"),
    # session_events: oldest first by (ts_ms, seq)
    Index("ix_events_session_id_ts_ms_seq", "session_id", "ts_ms", "seq"),
    # pruning
    Index("ix_events_ts_ms", "ts_ms"),
    **MYSQL_TABLE_OPTIONS,
)

maintenance_state = Table(
    "maintenance_state",
    metadata,
    Column("key", key_string(100), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)
