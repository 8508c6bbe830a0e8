"""Rollups: per-session ledger, daily/monthly rollups, lifetime totals, day activity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-15

Self-contained on purpose (see 0001). Sessions that ended before this revision are copied
into the ledger (``session_totals``) with ``lifetime_applied = 0`` and their rollup groups
marked dirty; the store's ``update_rollups`` (run right after an upgrade, and by every
maintenance pass) then applies them to the lifetime totals and builds their rollups, with the
same code as for any other session. The copy is one ``INSERT ... SELECT`` per table, so it
also works in an offline (``--sql``) script. The weekday is computed without ``%`` (which
drivers with a ``format`` paramstyle double in offline scripts): ``d - 7 * floor(d / 7)``
with ``d = local_day + 3`` (1970-01-01 was a Thursday), exact for every day since 1970.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles

revision = "0002"
down_revision: str | None = "0001"
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

LEDGER = (
    "total_watched_ms",
    "active_watched_ms",
    "lines_seen",
    "words_seen",
    "tokens_seen",
    "cards_mined",
    "lookup_count",
    "lookup_hits",
    "dictionary_lookups",
)
MYSQL: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
ENDED = 2  # domain.SessionStatus.ENDED
DAY_KIND, MONTH_KIND = 1, 2


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class _CodePointVarchar(mysql.VARCHAR):
    """utf8mb4 ``VARCHAR`` in the server's binary NO PAD collation (as 0001's keys)."""


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


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0"))


def _ledger() -> list[sa.Column[int]]:
    return [_count(name) for name in LEDGER]


def _video_fk(table: str, **options: Any) -> sa.Column[int]:
    return sa.Column(
        "video_id",
        _id(),
        sa.ForeignKey("videos.id", name=f"fk_{table}_video_id_videos"),
        nullable=False,
        **options,
    )


def _lifetime() -> list[sa.Column[Any]]:
    return [
        _count("sessions"),
        *_ledger(),
        _count("active_days"),
        sa.Column("first_watched_ms", sa.BigInteger()),
        sa.Column("last_watched_ms", sa.BigInteger()),
    ]


def _create_tables() -> None:
    op.create_table(
        "session_totals",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("session_uuid", _key(36), nullable=False),
        _video_fk("session_totals"),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        *_ledger(),
        sa.Column(
            "lifetime_applied", sa.SmallInteger(), nullable=False, server_default=sa.text("0")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_totals"),
        sa.UniqueConstraint("session_uuid", name="uq_session_totals_session_uuid"),
        **MYSQL,
    )
    op.create_index("ix_session_totals_local_day", "session_totals", ["local_day"])
    op.create_index(
        "ix_session_totals_video_id_local_day", "session_totals", ["video_id", "local_day"]
    )
    op.create_index("ix_session_totals_local_month", "session_totals", ["local_month"])

    for name, period in (("daily_rollups", "local_day"), ("monthly_rollups", "local_month")):
        op.create_table(
            name,
            sa.Column(period, sa.Integer(), autoincrement=False, nullable=False),
            _video_fk(name, autoincrement=False),
            _count("sessions"),
            *_ledger(),
            sa.PrimaryKeyConstraint(period, "video_id", name=f"pk_{name}"),
            **MYSQL,
        )
        op.create_index(f"ix_{name}_video_id_{period}", name, ["video_id", period])

    op.create_table(
        "rollup_dirty",
        sa.Column("period_kind", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("period", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("video_id", _id(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("period_kind", "period", "video_id", name="pk_rollup_dirty"),
        **MYSQL,
    )
    op.create_table(
        "lifetime_videos",
        _video_fk("lifetime_videos", autoincrement=False),
        *_lifetime(),
        sa.PrimaryKeyConstraint("video_id", name="pk_lifetime_videos"),
        **MYSQL,
    )
    op.create_table(
        "lifetime_global",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        *_lifetime(),
        sa.Column("last_started_ms", sa.BigInteger()),
        sa.PrimaryKeyConstraint("id", name="pk_lifetime_global"),
        **MYSQL,
    )
    op.create_table(
        "activity_days",
        sa.Column("local_day", sa.Integer(), autoincrement=False, nullable=False),
        _count("sessions"),
        _count("active_watched_ms"),
        _count("cards_mined"),
        _count("words_seen"),
        sa.PrimaryKeyConstraint("local_day", name="pk_activity_days"),
        **MYSQL,
    )


def _copy_ended_sessions() -> None:
    """The ledger entries of sessions that ended before this revision, and their dirty marks."""
    base = (
        "session_uuid",
        "video_id",
        "started_at_ms",
        "ended_at_ms",
        "local_day",
        "local_month",
        "local_hour",
    )
    sessions = sa.table(
        "sessions",
        *(sa.column(name, sa.Integer()) for name in (*base, *LEDGER, "status")),
    )
    ledger = sa.table(
        "session_totals",
        *(sa.column(name, sa.Integer()) for name in (*base, "local_weekday", *LEDGER)),
    )
    shifted = sessions.c.local_day + 3
    weekday = shifted - 7 * (shifted // 7)
    op.execute(
        ledger.insert().from_select(
            [*base, "local_weekday", *LEDGER],
            sa.select(
                *(sessions.c[name] for name in base),
                weekday,
                *(sessions.c[name] for name in LEDGER),
            ).where(sessions.c.status == ENDED, sessions.c.ended_at_ms.is_not(None)),
        )
    )
    dirty = sa.table(
        "rollup_dirty",
        sa.column("period_kind", sa.Integer()),
        sa.column("period", sa.Integer()),
        sa.column("video_id", sa.Integer()),
    )
    for kind, period in ((DAY_KIND, "local_day"), (MONTH_KIND, "local_month")):
        op.execute(
            dirty.insert().from_select(
                ["period_kind", "period", "video_id"],
                sa.select(
                    sa.literal_column(str(kind)), ledger.c[period], ledger.c.video_id
                ).distinct(),
            )
        )


def upgrade() -> None:
    _create_tables()
    _copy_ended_sessions()


def downgrade() -> None:
    for name in (
        "activity_days",
        "lifetime_global",
        "lifetime_videos",
        "rollup_dirty",
        "monthly_rollups",
        "daily_rollups",
        "session_totals",
    ):
        op.drop_table(name)
