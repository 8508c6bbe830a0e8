"""Keys are exact strings on every store: no padding, case or normalization folds two keys
into one, and ties order by code point, as Python's ``str`` does.

Runs on all four stores (the shared ``store`` fixture); it is here rather than in the
contract suite because it pins down what the server collations must do (MariaDB's
``utf8mb4_bin`` is PAD SPACE: ``'a'`` and ``'a '`` would collide in a unique index).
"""

from __future__ import annotations

from immersion.store import ImmersionTrackingStore
from tests.contract.builders import T0, finalize, make_video, start, write

# Different keys that a careless collation would call equal, or order differently.
LOOKALIKES = [
    "a",
    "a ",  # trailing space (PAD SPACE collations)
    "a  ",
    "A",  # case
    "é",  # NFC
    "e\u0301",  # NFD of the same letter
    "ｅ",  # fullwidth
    "日",
    "😀",  # beyond the BMP (4 bytes in UTF-8)
    "z",
    "",  # placeholder, replaced below: keys may not be empty
]
LOOKALIKES[-1] = " a"  # leading space


def test_keys_differing_only_by_padding_case_or_normalization_are_distinct(
    store: ImmersionTrackingStore,
) -> None:
    writes = []
    for number, suffix in enumerate(LOOKALIKES):
        key = f"local:/{suffix}"
        writes += [make_video(key, f"title {number}"), start(f"s-{suffix}", key, T0)]
    write(store, *writes)
    for number, suffix in enumerate(LOOKALIKES):
        video = store.get_video(f"local:/{suffix}")
        assert video is not None and video.title == f"title {number}", repr(suffix)
        session = store.get_session(f"s-{suffix}")
        assert session is not None and session.video_key == f"local:/{suffix}", repr(suffix)
    assert store.overview().total_videos == len(LOOKALIKES)
    assert store.get_video("local:/a   ") is None
    assert store.get_session("s-a   ") is None


def test_ties_order_by_code_point(store: ImmersionTrackingStore) -> None:
    writes = []
    for suffix in LOOKALIKES:
        key = f"local:/{suffix}"
        # same start and same end: summaries tie on UUID, video stats on key
        writes += [make_video(key), start(f"s-{suffix}", key, T0), finalize(f"s-{suffix}", T0)]
    write(store, *writes)
    assert [s.session_uuid for s in store.session_summaries()] == sorted(
        f"s-{suffix}" for suffix in LOOKALIKES
    )
    assert [v.video_key for v in store.video_stats()] == sorted(
        f"local:/{suffix}" for suffix in LOOKALIKES
    )
