"""``immersion import-subminer`` on SubMiner's v1 and v17 sample databases, and on a small
hand-made v16 database storing ``*_ms`` as decimal TEXT.

The expected numbers were read from the fixtures by hand (``sqlite3``): a session's final
counters are its row's (v17) or its latest telemetry sample's (v1, and the active sessions).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from tests.transfer.helpers import digest, invoke, reads

from immersion.domain import EventType, SessionCounters, SessionStatus
from immersion.stores.sqlite import SqliteStore

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "subminer"
V1 = FIXTURES / "immersion-v1.sqlite"
V17 = FIXTURES / "immersion-v17.sqlite"


@pytest.fixture(autouse=True)
def tokyo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local days in a fixed zone, whatever the machine's."""
    monkeypatch.setenv("IMMERSION_TIMEZONE", "Asia/Tokyo")


def import_into(path: Path, database: Path) -> tuple[int, str, str]:
    result = invoke("import-subminer", path, "--db", database)
    return result.exit_code, result.stdout, result.stderr


def opened(database: Path) -> SqliteStore:
    return SqliteStore(database, read_only=True, timezone="Asia/Tokyo")


def test_v1_imports_with_totals_from_the_latest_samples(tmp_path: Path) -> None:
    before = digest(V1)
    database = tmp_path / "store.sqlite"
    code, stdout, stderr = import_into(V1, database)
    assert code == 0, stderr
    assert "80 (80 new, 0 already imported)" in stdout
    store = opened(database)
    try:
        first = store.get_session("95e761d1-7731-af10-506b-f2efc6f87718")
        assert first is not None and first.status is SessionStatus.ENDED
        assert (first.ended_at_ms, first.last_sample_ms) == (1767387489116, 1767387489116)
        # 2026-01-02T20:37:10Z is 05:37 on January 3rd in Tokyo
        assert (first.local_day, first.local_month, first.local_hour) == (
            dt.date(2026, 1, 3),
            202601,
            5,
        )
        assert first.counters == SessionCounters(
            total_watched_ms=1258920,
            active_watched_ms=1005343,
            lines_seen=272,
            words_seen=272,
            tokens_seen=2476,
            cards_mined=19,
            lookup_count=816,
            lookup_hits=478,
            pause_count=9,
            pause_ms=253577,
            seek_forward_count=1,
            seek_backward_count=1,
        )
        # left active by SubMiner: closed at its latest sample, with its counters
        crashed = store.get_session("7a1075f4-951d-1e6f-60c5-9d787cdfc21f")
        assert crashed is not None and crashed.status is SessionStatus.ENDED
        assert crashed.ended_at_ms == 1770990026102
        assert (crashed.counters.active_watched_ms, crashed.counters.words_seen) == (1483253, 1519)
        assert (crashed.counters.cards_mined, crashed.counters.pause_ms) == (21, 327795)

        overview = store.overview(dt.date(2026, 3, 1))
        assert (overview.total_sessions, overview.active_sessions) == (80, 0)
        assert overview.active_watched_ms == 66664894  # sum of the 80 latest samples
        assert (overview.lines_seen, overview.words_seen) == (17740, 26718)
        assert (overview.tokens_seen, overview.cards_mined) == (144676, 909)
        # SubMiner v1's own daily rollups summed cumulative samples: 46,712 active minutes
        daily = store.daily_rollups(limit_days=1000)
        assert round(sum(r.active_min for r in daily), 1) == round(66664894 / 60_000, 1)
        assert sum(r.sessions for r in daily) == 80
        assert store.count_records("events") == 73286
        assert store.count_records("telemetry") == 5503
        seen = reads(store, dt.date(2026, 3, 1))
    finally:
        store.close()

    code, stdout, stderr = import_into(V1, database)  # again: nothing changes
    assert code == 0, stderr
    assert "80 (0 new, 80 already imported)" in stdout
    store = opened(database)
    try:
        assert reads(store, dt.date(2026, 3, 1)) == seen
        assert store.count_records("events") == 73286
    finally:
        store.close()
    assert digest(V1) == before


def test_v17_imports_final_counters_from_the_session_rows(tmp_path: Path) -> None:
    before = digest(V17)
    database = tmp_path / "store.sqlite"
    code, stdout, stderr = import_into(V17, database)
    assert code == 0, stderr
    assert "50 (50 new, 0 already imported)" in stdout
    store = opened(database)
    try:
        first = store.get_session("4b4d8474-a3ea-284d-3bd0-334684e55160")
        assert first is not None and first.ended_at_ms == 1767367190492
        assert first.counters == SessionCounters(
            total_watched_ms=1257097,
            active_watched_ms=1110558,
            lines_seen=295,
            words_seen=295,  # v17 rows have no words: from the latest sample
            tokens_seen=2686,
            cards_mined=12,
            lookup_count=885,
            lookup_hits=530,
            pause_count=6,
            pause_ms=146539,
            seek_forward_count=4,
            seek_backward_count=5,
        )
        short = store.get_session("82c42dc3-c5e4-d9c1-269f-3a8557cc64dd")
        assert short is not None
        assert (short.counters.words_seen, short.counters.tokens_seen) == (164, 164)
        active = store.get_session("b9dd5a84-aacd-6acf-f5ec-c14067a899e7")
        assert active is not None and active.ended_at_ms == 1769155247792
        assert (active.counters.active_watched_ms, active.counters.tokens_seen) == (1311214, 3006)

        overview = store.overview(dt.date(2026, 3, 1))
        assert overview.total_sessions == 50
        assert overview.active_watched_ms == 39892079 + 1311214  # 49 rows + the active one
        assert (overview.tokens_seen, overview.cards_mined) == (93787 + 3006, 492 + 13)
        assert (overview.lines_seen, overview.words_seen) == (10955, 12010)
        events = store.session_events("4b4d8474-a3ea-284d-3bd0-334684e55160", limit=5000)
        assert len(events) == 1213
        assert (events[0].seq, events[0].event_type, events[0].words_delta) == (
            1,
            EventType.SUBTITLE_LINE,
            1,  # v17's tokens_delta
        )
        assert len(store.session_timeline("4b4d8474-a3ea-284d-3bd0-334684e55160")) == 83
        assert store.count_records("events") == 45261
    finally:
        store.close()
    code, stdout, _ = import_into(V17, database)
    assert code == 0 and "50 (0 new, 50 already imported)" in stdout
    assert digest(V17) == before


_V16_SCHEMA = """
CREATE TABLE imm_schema_version (schema_version INTEGER PRIMARY KEY, applied_at_ms TEXT);
CREATE TABLE imm_videos(video_id INTEGER PRIMARY KEY, video_key TEXT, canonical_title TEXT,
  source_type INTEGER, source_path TEXT, source_url TEXT, duration_ms TEXT,
  file_size_bytes INTEGER, created_at_ms TEXT, updated_at_ms TEXT);
CREATE TABLE imm_sessions(session_id INTEGER PRIMARY KEY, session_uuid TEXT, video_id INTEGER,
  started_at_ms TEXT, ended_at_ms TEXT, status INTEGER, total_watched_ms TEXT,
  active_watched_ms TEXT, lines_seen INTEGER, words_seen INTEGER, tokens_seen INTEGER,
  cards_mined INTEGER, yomitan_lookup_count INTEGER, ended_media_ms TEXT);
CREATE TABLE imm_session_telemetry(telemetry_id INTEGER PRIMARY KEY, session_id INTEGER,
  sample_ms TEXT, total_watched_ms TEXT, active_watched_ms TEXT, lines_seen INTEGER,
  words_seen INTEGER, tokens_seen INTEGER, cards_mined INTEGER, yomitan_lookup_count INTEGER);
CREATE TABLE imm_session_events(event_id INTEGER PRIMARY KEY, session_id INTEGER, ts_ms TEXT,
  event_type INTEGER, line_index INTEGER, segment_start_ms TEXT, segment_end_ms TEXT,
  words_delta INTEGER, cards_delta INTEGER, payload_json TEXT);
INSERT INTO imm_schema_version VALUES (16, '1767225600000');
INSERT INTO imm_videos VALUES (1, 'local:/a/b.mkv', 'B', 1, '/a/b.mkv', NULL, '1440000.0', 10,
  '1767225600000', '1767225600000');
INSERT INTO imm_sessions VALUES (1, 'u-1', 1, '1767225600000', '1767225660000.4', 2,
  '60000', '59000.6', 3, 9, 12, 1, 2, '61000');
INSERT INTO imm_session_telemetry VALUES (1, 1, '1767225630000', '30000', '29000', 1, 3, 4, 0, 1);
INSERT INTO imm_session_events VALUES (1, 1, '1767225601000.0', 1, 0, '1000', '2500', 3, 0,
  '{"text":"hi"}');
INSERT INTO imm_session_events VALUES (2, 1, '1767225602000', 42, NULL, NULL, NULL, 0, 0, NULL);
INSERT INTO imm_sessions VALUES (2, 'u-2', 1, '1767225700000', NULL, 1, '0', '0', 0, 0, 0, 0, 0,
  NULL);
INSERT INTO imm_session_telemetry VALUES (2, 2, '1767225760000', '60000', '50000', 4, 8, 8, 2, 0);
"""


def test_decimal_text_times_are_read_and_bad_rows_reported(tmp_path: Path) -> None:
    subminer = tmp_path / "immersion.sqlite"
    with closing(sqlite3.connect(subminer)) as db:
        db.executescript(_V16_SCHEMA)
    database = tmp_path / "store.sqlite"
    code, _, stderr = import_into(subminer, database)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert lines[0] == "skipped imm_session_events event_id=2: unknown event_type 42"
    assert lines[-1].startswith("Error: 1 SubMiner rows could not be imported")
    store = opened(database)
    try:
        video = store.get_video("local:/a/b.mkv")
        assert video is not None and video.duration_ms == 1440000
        ended = store.get_session("u-1")
        assert ended is not None
        assert (ended.ended_at_ms, ended.ended_media_ms) == (1767225660000, 61000)
        assert ended.counters == SessionCounters(
            total_watched_ms=60000,
            active_watched_ms=59001,  # decimal text, rounded
            lines_seen=3,
            words_seen=9,
            tokens_seen=12,
            cards_mined=1,
            dictionary_lookups=2,  # yomitan_lookup_count
        )
        [event] = store.session_events("u-1")
        assert (event.ts_ms, event.segment_start_ms, event.words_delta) == (1767225601000, 1000, 3)
        closed = store.get_session("u-2")
        assert closed is not None and closed.ended_at_ms == 1767225760000
        assert (closed.counters.active_watched_ms, closed.counters.cards_mined) == (50000, 2)
    finally:
        store.close()


def test_a_newer_subminer_schema_is_refused(tmp_path: Path) -> None:
    subminer = tmp_path / "immersion.sqlite"
    with closing(sqlite3.connect(subminer)) as db:
        db.executescript(_V16_SCHEMA.replace("VALUES (16,", "VALUES (19,"))
    code, stdout, stderr = import_into(subminer, tmp_path / "store.sqlite")
    assert code == 1 and stdout == ""
    assert stderr.strip().splitlines() == [
        f"Error: {subminer} has SubMiner schema version 19; this importer knows versions 1 to "
        "18: upgrade immersion-tracker"
    ]


def test_a_file_that_is_not_subminer_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE t (x)")
    code, _, stderr = import_into(other, tmp_path / "store.sqlite")
    assert code == 1
    assert "is not a SubMiner immersion database" in stderr
    assert len(stderr.strip().splitlines()) == 1
