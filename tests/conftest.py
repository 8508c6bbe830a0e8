from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from immersion.store import ImmersionTrackingStore
from tests.support.stores import STORE_KINDS, open_store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImmersionTrackingStore]:
    """Each contract test runs once per backend."""
    with open_store(request.param, tmp_path) as opened:
        yield opened
