from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support.servers import scratch_database

SERVER_KINDS = ["postgresql", "mysql"]


@pytest.fixture(params=SERVER_KINDS)
def server_kind(request: pytest.FixtureRequest) -> str:
    """Each server test runs once per server (skipped or failed as ``servers`` documents)."""
    return str(request.param)


@pytest.fixture
def scratch_url(server_kind: str) -> Iterator[sa.URL]:
    """A URL of an empty database (MySQL) or schema (PostgreSQL) of its own, dropped after."""
    with scratch_database(server_kind) as url:
        yield url
