"""The SQL storage layer shared by the SQLite, PostgreSQL and MySQL stores.

- ``schema``: the tables (SQLAlchemy Core ``MetaData``), identical on every engine;
- ``base.SqlStore``: ``ImmersionTrackingStore`` with every query written once; a backend
  subclasses it and overrides only the dialect hooks listed in ``base``;
- ``writes`` / ``reads`` / ``maintenance``: the queries;
- ``migrate`` and ``migrations/``: the Alembic history, run from code;
- ``errors.translate_errors``: the one place driver exceptions become ``immersion.errors``.
"""

from __future__ import annotations

from .base import SqlStore
from .errors import redact, safe_url, translate_errors
from .schema import metadata

__all__ = ["SqlStore", "metadata", "redact", "safe_url", "translate_errors"]
