"""``immersion migrate --merge``: two stores that share some sessions become their union,
nothing twice, with rollups and lifetime totals as if everything had been recorded into one
store (an ended session replaces the same session still active in the destination)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.generator import History
from tests.transfer.helpers import ZONE, everything, invoke, reads, sqlite_store, sqlite_url

from immersion.records import RECORD_KINDS
from immersion.stores.sqlite import SqliteStore
from immersion.writes import FinalizeSession, RecordEvent, RecordSample, StartSession, Write


def session_of(write: Write) -> str | None:
    if isinstance(write, StartSession | FinalizeSession):
        return write.session_uuid
    if isinstance(write, RecordSample):
        return write.sample.session_uuid
    if isinstance(write, RecordEvent):
        return write.event.session_uuid
    return None  # videos: every store gets them


def write_all(path: Path, writes: list[Write]) -> None:
    store = sqlite_store(path)
    try:
        for start in range(0, len(writes), 2000):
            store.write_batch(writes[start : start + 2000])
    finally:
        store.close()


def test_merging_two_overlapping_stores_gives_their_union(tmp_path: Path) -> None:
    writes = list(History(20_000, seed=11, zone=ZONE).writes())
    uuids = list(dict.fromkeys(u for w in writes if (u := session_of(w)) is not None))
    third = len(uuids) // 3
    mine = set(uuids[: 2 * third])  # the source: the first two thirds
    theirs = set(uuids[third:])  # the destination: the last two thirds
    shared = mine & theirs
    assert len(shared) >= 4
    # Half of the shared sessions are still active in the destination (never finalized).
    unfinished = set(sorted(shared)[: len(shared) // 2])
    source_writes = [w for w in writes if session_of(w) in mine | {None}]
    destination_writes = [
        w
        for w in writes
        if session_of(w) in theirs | {None}
        and not (isinstance(w, FinalizeSession) and w.session_uuid in unfinished)
    ]
    write_all(tmp_path / "source.sqlite", source_writes)
    write_all(tmp_path / "destination.sqlite", destination_writes)
    write_all(tmp_path / "everything.sqlite", writes)  # the expected union

    route = ["--from", sqlite_url(tmp_path / "source.sqlite")]
    route += ["--to", sqlite_url(tmp_path / "destination.sqlite")]
    refused = invoke("migrate", *route)
    assert refused.exit_code == 1 and "already holds data" in refused.stderr
    merged = invoke("migrate", *route, "--merge", "--batch-size", "500")
    assert merged.exit_code == 0, merged.stderr
    assert "MISSING" not in merged.stdout
    assert f"{len(unfinished)} active sessions ended" in merged.stdout

    result = SqliteStore(tmp_path / "destination.sqlite", read_only=True, timezone=ZONE)
    expected = SqliteStore(tmp_path / "everything.sqlite", read_only=True, timezone=ZONE)
    try:
        for kind in RECORD_KINDS[:-1]:  # state: also holds this migration's checkpoints
            assert result.count_records(kind) == expected.count_records(kind), kind
        got, want = everything(result), everything(expected)
        for kind in ("videos", "telemetry", "events", *RECORD_KINDS[5:]):
            assert got[kind] == want[kind], kind
        # sessions and ledger entries: the same but for live_seq / lifetime_applied details
        assert [r.session for r in got["sessions"]] == [r.session for r in want["sessions"]]  # type: ignore[union-attr]
        assert reads(result) == reads(expected)
    finally:
        result.close()
        expected.close()

    # once finished, a merge pass again changes nothing
    again = invoke("migrate", *route, "--merge")
    assert again.exit_code == 0, again.stderr
    assert "0 new in the destination" in again.stdout
