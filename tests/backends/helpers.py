"""Building server stores in the backend tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from immersion.stores.sql.base import SqlStore


def server_store(kind: str, url: str | sa.URL, **options: Any) -> SqlStore:
    """A ``PostgresqlStore`` or ``MysqlStore`` on ``url`` (schema not created)."""
    if kind == "postgresql":
        from immersion.stores.postgresql import PostgresqlStore

        return PostgresqlStore(url, **options)
    from immersion.stores.mysql import MysqlStore

    return MysqlStore(url, **options)


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` with every exception behind it (``__cause__`` / ``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
