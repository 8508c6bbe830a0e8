"""Baseline: videos, sessions, telemetry, events, maintenance_state.

Revision ID: 0001
Revises:
Create Date: 2026-03-01

Self-contained on purpose: a revision must keep creating the same schema even after
``schema.py`` moves on, so nothing here imports the current tables.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles

revision = "0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

COUNTERS = (
    "total_watched_ms",
    "active_watched_ms",
    "lines_seen",
    "words_seen",
    "tokens_seen",
    "cards_mined",
    "lookup_count",
    "lookup_hits",
    "dictionary_lookups",
    "pause_count",
    "pause_ms",
    "seek_forward_count",
    "seek_backward_count",
    "media_buffer_events",
)
MYSQL: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class _CodePointVarchar(mysql.VARCHAR):
    """utf8mb4 ``VARCHAR`` in the server's binary NO PAD collation (as ``schema.py``'s)."""


@compiles(_CodePointVarchar, "mysql")
@compiles(_CodePointVarchar, "mariadb")
def _compile_key(type_: _CodePointVarchar, compiler: Any, **kw: Any) -> str:
    dialect = compiler.dialect
    version = dialect.server_version_info
    if getattr(dialect, "is_mariadb", False):
        exact = version is None or version >= (10, 2)
        collation = "utf8mb4_nopad_bin" if exact else "utf8mb4_bin"
    elif version is not None and version >= (8, 0, 17):
        collation = "utf8mb4_0900_bin"
    else:
        collation = "utf8mb4_bin"
    varchar = mysql.VARCHAR(type_.length, charset="utf8mb4", collation=collation)
    return str(compiler.process(varchar, **kw))


def _key(length: int) -> sa.types.TypeEngine[str]:
    return (
        sa.String(length)
        .with_variant(sa.String(length, collation="C"), "postgresql")
        .with_variant(_CodePointVarchar(length), "mysql", "mariadb")
    )


def _text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def _counters() -> list[sa.Column[int]]:
    return [
        sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        for name in COUNTERS
    ]


def _session_fk(table: str) -> sa.Column[int]:
    return sa.Column(
        "session_id",
        _id(),
        sa.ForeignKey("sessions.id", name=f"fk_{table}_session_id_sessions", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("video_key", _key(768), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("source_type", sa.SmallInteger(), nullable=False),
        sa.Column("source_path", _text()),
        sa.Column("source_url", _text()),
        sa.Column("duration_ms", sa.BigInteger()),
        sa.Column("file_size_bytes", sa.BigInteger()),
        sa.Column("codec", _text()),
        sa.Column("width_px", sa.Integer()),
        sa.Column("height_px", sa.Integer()),
        sa.Column("fps_x100", sa.Integer()),
        sa.Column("bitrate_kbps", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_videos"),
        sa.UniqueConstraint("video_key", name="uq_videos_video_key"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_table(
        "sessions",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("session_uuid", _key(36), nullable=False),
        sa.Column(
            "video_id",
            _id(),
            sa.ForeignKey("videos.id", name="fk_sessions_video_id_videos"),
            nullable=False,
        ),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_ms", sa.BigInteger()),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("ended_media_ms", sa.BigInteger()),
        sa.Column("last_sample_ms", sa.BigInteger()),
        sa.Column("last_sample_seq", sa.BigInteger()),
        *_counters(),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("session_uuid", name="uq_sessions_session_uuid"),
        sqlite_autoincrement=True,
        **MYSQL,
    )
    op.create_index(
        "ix_sessions_started_at_ms_session_uuid", "sessions", ["started_at_ms", "session_uuid"]
    )
    op.create_index("ix_sessions_video_id_started_at_ms", "sessions", ["video_id", "started_at_ms"])
    op.create_index("ix_sessions_status", "sessions", ["status"])
    op.create_index("ix_sessions_ended_at_ms", "sessions", ["ended_at_ms"])

    op.create_table(
        "telemetry",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        _session_fk("telemetry"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("sample_ms", sa.BigInteger(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("id", name="pk_telemetry"),
        sa.UniqueConstraint("session_id", "seq", name="uq_telemetry_session_id_seq"),
        **MYSQL,
    )
    op.create_index(
        "ix_telemetry_session_id_sample_ms_seq", "telemetry", ["session_id", "sample_ms", "seq"]
    )
    op.create_index("ix_telemetry_sample_ms", "telemetry", ["sample_ms"])

    op.create_table(
        "events",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        _session_fk("events"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.SmallInteger(), nullable=False),
        sa.Column("line_index", sa.BigInteger()),
        sa.Column("segment_start_ms", sa.BigInteger()),
        sa.Column("segment_end_ms", sa.BigInteger()),
        sa.Column("words_delta", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("cards_delta", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("payload_json", _text()),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("session_id", "seq", name="uq_events_session_id_seq"),
        **MYSQL,
    )
    op.create_index("ix_events_session_id_ts_ms_seq", "events", ["session_id", "ts_ms", "seq"])
    op.create_index("ix_events_ts_ms", "events", ["ts_ms"])

    op.create_table(
        "maintenance_state",
        sa.Column("key", _key(100), nullable=False),
        sa.Column("value", _text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_maintenance_state"),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("maintenance_state")
    op.drop_table("events")
    op.drop_table("telemetry")
    op.drop_table("sessions")
    op.drop_table("videos")
