"""``immersion export`` / ``immersion import``: the round trip gives identical reads on every
backend; corrupted lines are reported one by one and the valid rest is stored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.transfer.helpers import ZONE, everything, invoke, reads

from immersion.records import RECORD_KINDS
from immersion.store import ImmersionTrackingStore
from immersion.stores.sqlite import SqliteStore
from immersion.transfer.export import JSONL_NAME
from immersion.transfer.importer import import_path


@pytest.fixture(scope="module")
def exported(filled_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export directory of the filled source: ``immersion-export.jsonl`` and ``csv/``."""
    out = tmp_path_factory.mktemp("export")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("HOME", str(out / "home"))
        for fmt, target in (("jsonl", out), ("csv", out / "csv")):
            result = invoke("export", "--db", filled_sqlite, "--format", fmt, "--out", target)
            assert result.exit_code == 0, result.stderr
            assert "Exported" in result.stdout
    return out


@pytest.fixture(scope="module")
def source(filled_sqlite: Path) -> dict[str, object]:
    store = SqliteStore(filled_sqlite, read_only=True, timezone=ZONE)
    try:
        return {"records": everything(store), "reads": reads(store)}
    finally:
        store.close()


def test_export_then_import_gives_identical_reads(
    store: ImmersionTrackingStore, exported: Path, source: dict[str, object]
) -> None:
    report = import_path(store, exported / JSONL_NAME, batch_size=800)
    assert report.ok and report.mode == "copy", report.rejected
    assert everything(store) == source["records"]
    assert reads(store) == source["reads"]
    again = import_path(store, exported / JSONL_NAME)  # a second time: nothing new
    assert again.ok and again.mode == "merge" and sum(again.inserted.values()) == 0


@pytest.mark.parametrize("target", ["memory", "sqlite"])
def test_the_csv_files_import_back_too(
    target: str, exported: Path, source: dict[str, object], tmp_path: Path
) -> None:
    from tests.support.stores import open_store

    with open_store(target, tmp_path) as store:
        report = import_path(store, exported / "csv")
        assert report.ok, report.rejected
        assert everything(store) == source["records"]
        assert reads(store) == source["reads"]


def test_the_format_is_documented_in_the_file(exported: Path) -> None:
    lines = (exported / JSONL_NAME).read_text(encoding="utf-8").splitlines()
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    assert header["format"] == "immersion-tracker-export" and header["version"] == 1
    assert header["complete"] is True and header["since"] is None
    assert list(header["fields"]) == list(RECORD_KINDS)
    assert end["kind"] == "end" and sum(end["counts"].values()) == len(lines) - 2
    assert json.loads(lines[1])["kind"] == "videos"
    manifest = json.loads((exported / "csv" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == end["counts"]
    assert (
        (exported / "csv" / "events.csv")
        .read_text(encoding="utf-8")
        .startswith("session_uuid,seq,ts_ms,event_type,")
    )


def corrupt(path: Path, target: Path) -> dict[int, str]:
    """A copy of the export with broken lines; the line numbers and reasons expected."""
    lines = path.read_text(encoding="utf-8").splitlines()
    events = [n for n, line in enumerate(lines, start=1) if line.startswith('{"kind":"events"')]
    samples = [n for n, line in enumerate(lines, start=1) if '"kind":"telemetry"' in line]
    broken: dict[int, str] = {}

    def edit(number: int, change: str) -> None:
        record = json.loads(lines[number - 1])
        if change == "seq text":
            record["seq"] = "seven"
            broken[number] = "events: seq: expected an integer, got a string"
        elif change == "negative":
            record["ts_ms"] = -5
            broken[number] = "events: ts_ms must be an integer from 0 to 2**63-1, got -5"
        elif change == "unknown session":
            record["session_uuid"] = "no-such-session"
            broken[number] = "events: unknown session 'no-such-session'"
        elif change == "event type":
            record["event_type"] = 42
            broken[number] = "events: event_type: unknown value 42"
        elif change == "extra field":
            record["mood"] = "happy"
            broken[number] = "telemetry: unknown field 'mood'"
        lines[number - 1] = json.dumps(record, ensure_ascii=False)

    edit(events[0], "seq text")
    edit(events[10], "negative")
    edit(events[20], "unknown session")
    edit(events[30], "event type")
    edit(samples[5], "extra field")
    lines[events[40] - 1] = lines[events[40] - 1][:25]  # cut in the middle
    broken[events[40]] = "not valid JSON"
    lines.insert(events[50] - 1, '{"kind": "gossip", "text": "hello"}')
    broken[events[50]] = "unknown kind 'gossip'"
    lines.insert(events[60] - 1, "[1, 2, 3]")
    broken[events[60]] = "not a JSON object"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return broken


def test_corrupted_lines_are_reported_and_the_rest_stored(
    exported: Path, source: dict[str, object], tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.jsonl"
    broken = corrupt(exported / JSONL_NAME, damaged)
    database = tmp_path / "store.sqlite"
    result = invoke("import", damaged, "--db", database)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    reported = lines[:-1]
    assert len(reported) == len(broken)
    for line, (number, reason) in zip(reported, sorted(broken.items()), strict=True):
        assert line.startswith(f"rejected line {number}: "), (line, number)
        assert reason in line, (line, reason)
    assert lines[-1].startswith(f"Error: {len(broken)} records rejected (listed above);")
    records = source["records"]
    assert isinstance(records, dict)
    store = SqliteStore(database, read_only=True, timezone=ZONE)
    try:
        assert store.count_records("events") == len(records["events"]) - 5
        assert store.count_records("telemetry") == len(records["telemetry"]) - 1
        assert everything(store)["sessions"] == records["sessions"]
    finally:
        store.close()


def test_a_file_cut_short_is_reported(exported: Path, tmp_path: Path) -> None:
    lines = (exported / JSONL_NAME).read_text(encoding="utf-8").splitlines()
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    result = invoke("import", short, "--db", tmp_path / "store.sqlite")
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: the file ends without its summary line (cut short?);")
    )


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        ('{"format": "immersion-tracker-export", "version": 2}', "format version 2"),
        ('{"format": "something-else", "version": 1}', "not an immersion-tracker export"),
        ("not json at all", "not an immersion-tracker export header"),
    ],
)
def test_a_file_of_another_format_or_a_newer_version_is_refused_whole(
    tmp_path: Path, first_line: str, message: str
) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text(first_line + '\n{"kind": "state", "key": "a", "value": "b"}\n', "utf-8")
    result = invoke("import", path, "--db", tmp_path / "store.sqlite")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: line 1: ") and message in line


def test_since_exports_recent_sessions_and_imports_as_a_merge(
    filled_sqlite: Path, tmp_path: Path
) -> None:
    store = SqliteStore(filled_sqlite, read_only=True, timezone=ZONE)
    try:
        sessions = everything(store)["sessions"]
    finally:
        store.close()
    days = sorted({r.session.local_day for r in sessions})  # type: ignore[union-attr]
    since = days[len(days) // 2]
    out = tmp_path / "out"
    result = invoke("export", "--db", filled_sqlite, "--since", since.isoformat(), "--out", out)
    assert result.exit_code == 0, result.stderr
    header = json.loads((out / JSONL_NAME).read_text(encoding="utf-8").splitlines()[0])
    assert (header["since"], header["complete"]) == (since.isoformat(), False)
    again = invoke("export", "--db", filled_sqlite, "--out", out)
    assert again.exit_code == 1 and "already exists" in again.stderr

    database = tmp_path / "store.sqlite"
    result = invoke("import", out / JSONL_NAME, "--db", database)
    assert result.exit_code == 0, result.stderr
    assert "Import (merge)" in result.stdout
    imported = SqliteStore(database, read_only=True, timezone=ZONE)
    try:
        kept = [r for r in sessions if r.session.local_day >= since]  # type: ignore[union-attr]
        assert everything(imported)["sessions"] == kept
        # rollups recomputed from the imported ledger entries only
        daily = imported.daily_rollups(limit_days=1000)
        assert daily and min(r.day for r in daily) >= since
        assert imported.count_records("lifetime_videos") > 0
    finally:
        imported.close()
    assert dt.date.fromisoformat(header["since"]) == since
