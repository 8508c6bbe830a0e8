from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from immersion import Tracker
from immersion.store import ImmersionTrackingStore
from immersion.stores.memory import MemoryStore
from immersion.testing import ManualClock
from tests.tracker.helpers import counting_uuids

# 2026-01-01T00:00:00Z
START_MS = 1_767_225_600_000

TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture
def make_tracker(clock: ManualClock) -> Iterator[TrackerFactory]:
    """Build trackers on ``clock`` (UTC, deterministic session ids); all closed afterwards.

    ``make_tracker(store=None, write={...}, timezone="UTC", **config_sections)``.
    """
    made: list[Tracker] = []

    def make(
        store: ImmersionTrackingStore | None = None,
        *,
        write: dict[str, Any] | None = None,
        timezone: str = "UTC",
        **sections: Any,
    ) -> Tracker:
        config = {"timezone": timezone, "write": dict(write or {}), **sections}
        tracker = Tracker(
            store if store is not None else MemoryStore(),
            config,
            clock=clock,
            new_session_uuid=counting_uuids(),
        )
        made.append(tracker)
        return tracker

    yield make
    for tracker in made:
        tracker.close(5)
