"""The harness end to end at 5k events on memory and SQLite: it runs, saves, and judges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.__main__ import main
from benchmarks.report import markdown


def test_a_small_run_saves_every_measurement_and_prints_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, work = tmp_path / "results", tmp_path / "work"
    arguments = ["--backends", "memory,sqlite", "--events", "5000", "--runs", "5"]
    arguments += ["--calls", "300", "--ingest-writes", "300"]
    arguments += ["--out", str(out), "--workdir", str(work)]
    assert main(arguments) == 0

    files = sorted(out.glob("*.json"))
    assert [path.name.split("-")[:2] for path in files] == [["memory", "5000"], ["sqlite", "5000"]]
    memory, sqlite = (json.loads(path.read_text(encoding="utf-8")) for path in files)
    for result in (memory, sqlite):
        assert result["load"]["events"] == 5000
        assert result["reads"]["missing"] == []
        assert all(summary["runs"] == 5 for summary in result["reads"]["reads"].values())
        assert result["maintenance"]["seconds"] >= 0
        assert result["hot_path"]["free"]["record_subtitle_line"]["runs"] == 300
    assert {check["status"] for check in memory["targets"]} == {"INFO"}
    judged = {c["name"]: c["status"] for c in sqlite["targets"] if c["limit"] is not None}
    assert set(judged.values()) <= {"PASS", "FAIL"}
    assert "read trends(365d) p95" in judged
    assert "record_subtitle_line p99 (locked)" in judged
    assert sqlite["ingest"]["baseline"]["writes"] == 300
    assert sqlite["ingest"]["tracker"]["dropped"] == 0
    assert sqlite["size"]["bytes_per_event"] > 0
    # every read's statements replayed through the raw driver; none for the memory store
    assert memory["reads"]["driver"] == {}
    floor = sqlite["reads"]["driver"]
    assert set(floor) == set(sqlite["reads"]["reads"])
    assert all(summary["runs"] == 5 and summary["p50"] > 0 for summary in floor.values())
    assert sqlite["hot_path"]["locked"] is not None
    reference = sqlite["hot_path"]["reference"]
    assert reference["runs"] == 300 and reference["repetitions"] >= 1
    assert list(work.iterdir()) == []  # the SQLite database is gone

    printed = capsys.readouterr().out
    assert "read trends(all) p95" in printed
    assert "| session_events |" in markdown([sqlite])
    assert "plain function, same median" in markdown([sqlite])
    assert "driver p95 ms" in markdown([sqlite]) and "driver p95 ms" not in markdown([memory])
