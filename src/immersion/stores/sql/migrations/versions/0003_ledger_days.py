"""The ledger summed per local day, for the range reads (throughput, trends, overview).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

``ledger_days`` holds, per local day, the count and the sums of that day's ledger rows
(``session_totals``): a derived table, rebuilt for a day whenever one of its ledger rows
changes (``stores.sql.rollups``). With it a day series is a primary key range read of at most
one row per day instead of a ``GROUP BY`` over every session of the range (issue 5: MariaDB
sums ``BIGINT`` through ``DECIMAL``, and the grouping was most of a year's trends read).

Self-contained on purpose (see 0001). The rows of the existing ledger are summed in one
``INSERT ... SELECT``, so the upgrade also works in an offline (``--sql``) script.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
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
DAY_COLUMNS = ("local_day", "local_month", "local_weekday")


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    op.create_table(
        "ledger_days",
        sa.Column("local_day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("local_month", sa.Integer(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        _count("sessions"),
        *(_count(name) for name in LEDGER),
        sa.PrimaryKeyConstraint("local_day", name="pk_ledger_days"),
        **MYSQL,
    )
    ledger = sa.table(
        "session_totals", *(sa.column(name, sa.Integer()) for name in (*DAY_COLUMNS, *LEDGER))
    )
    days = sa.table(
        "ledger_days",
        *(sa.column(name, sa.Integer()) for name in (*DAY_COLUMNS, "sessions", *LEDGER)),
    )
    keys = [ledger.c[name] for name in DAY_COLUMNS]
    op.execute(
        days.insert().from_select(
            [*DAY_COLUMNS, "sessions", *LEDGER],
            sa.select(
                *keys, sa.func.count(), *(sa.func.sum(ledger.c[name]) for name in LEDGER)
            ).group_by(*keys),
        )
    )


def downgrade() -> None:
    op.drop_table("ledger_days")
