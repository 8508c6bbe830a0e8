"""The top videos of a trends read: named from a list of ids, or, past a few hundred (every
video of a long range, a tie of hundreds at the cut), from every video; both give the memory
store's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from immersion.stores.memory import MemoryStore
from immersion.stores.sql import analytics
from immersion.stores.sqlite import SqliteStore
from immersion.writes import Write
from tests.contract.builders import make_video, write
from tests.contract.history import D1, watched

# Six videos: two clear leaders, then four tied at the cut of a top 3.
MINUTES = {"local:/a": 9, "local:/b": 7, "local:/c": 4, "local:/d": 4, "local:/e": 4, "local:/f": 4}


def _history() -> list[Write]:
    writes: list[Write] = [make_video(key, key[-1].upper()) for key in MINUTES]
    for index, (key, minutes) in enumerate(MINUTES.items()):
        writes += watched(f"s{index}", key, D1, active_min=minutes, words=index)
    return writes


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "top.sqlite")
    store.create_or_upgrade_schema()
    write(store, *_history())
    yield store
    store.close()


@pytest.mark.parametrize("listed_at_most", [analytics._MAX_LISTED, 0], ids=["listed", "all"])
@pytest.mark.parametrize("top", [None, 0, 1, 2, 3, 6, 10])
def test_both_paths_rank_like_the_reference(
    sqlite: SqliteStore, monkeypatch: pytest.MonkeyPatch, listed_at_most: int, top: int | None
) -> None:
    monkeypatch.setattr(analytics, "_MAX_LISTED", listed_at_most)
    reference = MemoryStore()
    write(reference, *_history())
    expected = reference.trends("7d", today=D1, top_videos=top)
    got = sqlite.trends("7d", today=D1, top_videos=top)
    assert (got.videos, got.video_count) == (expected.videos, expected.video_count)
    assert got.video_count == 6
    if top == 3:  # the tie at 4 min breaks by key
        assert [v.video_key for v in got.videos] == ["local:/a", "local:/b", "local:/c"]
