from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support.servers import SERVERS, scratch_database
from tests.support.stores import SERVER_KINDS


@pytest.fixture(params=SERVER_KINDS)
def server_kind(request: pytest.FixtureRequest) -> str:
    """Each server test runs once per kind: server and driver (skipped or failed as
    ``servers`` documents)."""
    return str(request.param)


@pytest.fixture
def server_provider(server_kind: str) -> str:
    """The storage provider of ``server_kind`` (``mysql`` for both MySQL drivers)."""
    return SERVERS[server_kind].provider


@pytest.fixture
def scratch_url(server_kind: str) -> Iterator[sa.URL]:
    """A URL of an empty database (MySQL) or schema (PostgreSQL) of its own, dropped after."""
    with scratch_database(server_kind) as url:
        yield url
