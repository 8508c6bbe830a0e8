"""``immersion watch`` / ``immersion attach`` (click's runner) and ``record_mpv``, without a
real mpv: a scripted fake server, or a stand-in executable that only records its arguments."""

from __future__ import annotations

import _thread
import json
import os
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from immersion import Tracker
from immersion.cli import main
from immersion.clock import SystemClock
from immersion.mpv import OBSERVED_PROPERTIES, record_mpv
from immersion.mpv.launcher import mpv_command
from immersion.stores.sqlite import SqliteStore
from tests.mpv.fake_mpv import FakeMpv, event, prop
from tests.mpv.test_bridge import NOTHING_LOADED, open_file


def _script_viewing(fake: FakeMpv, *, then_quit: bool = True) -> None:
    fake.wait_observing(len(OBSERVED_PROPERTIES))
    fake.send(*NOTHING_LOADED, *open_file("/anime/ep01.mkv", title="葬送のフリーレン 第1話"))
    fake.send(prop("time-pos", 0.0), prop("time-pos", 0.5))
    fake.send(prop("sub-text", "勇者ヒンメルならそうした"), prop("sub-start", 0.2))
    fake.send(prop("sub-end", 1.8), prop("time-pos", 1.0))
    if then_quit:
        fake.send(event("end-file", reason="quit"), event("shutdown"))
        fake.drop_connection()


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_attach_records_until_mpv_quits_and_prints_the_summary(
    fake_mpv: FakeMpv, tmp_path: Path
) -> None:
    db = tmp_path / "immersion.sqlite"
    script = threading.Thread(target=_script_viewing, args=(fake_mpv,))
    script.start()
    result = CliRunner().invoke(main, ["attach", "--db", str(db), str(fake_mpv.path)])
    script.join(5)
    assert result.exit_code == 0, result.output
    assert f"Recorded 1 session into {db}" in result.stdout
    assert "葬送のフリーレン 第1話" in result.stdout
    store = SqliteStore(db)
    try:
        [session] = store.session_summaries()
        assert (session.title, session.lines_seen, session.words_seen) == (
            "葬送のフリーレン 第1話",
            1,
            1,
        )
        assert session.ended_at_ms is not None
    finally:
        store.close()


def test_ctrl_c_ends_and_saves_the_session(fake_mpv: FakeMpv, tracker: Tracker) -> None:
    def interrupt_once_recorded() -> None:
        _script_viewing(fake_mpv, then_quit=False)
        deadline = SystemClock().monotonic_s() + 5
        while SystemClock().monotonic_s() < deadline:
            session = tracker.session
            if session is not None and session.counters.lines_seen == 1:
                break
            threading.Event().wait(0.01)  # polling another thread's progress, not time
        _thread.interrupt_main()  # what Ctrl-C does

    script = threading.Thread(target=interrupt_once_recorded)
    script.start()
    recording = record_mpv(tracker, fake_mpv.path)
    script.join(5)
    assert recording.interrupted
    assert tracker.session is None
    assert tracker.flush(5)
    [session] = tracker.store.session_summaries()
    assert session.session_uuid == recording.sessions[0]
    assert (session.lines_seen, session.ended_at_ms is not None) == (1, True)


def test_attach_without_an_mpv_fails_with_one_line(tmp_path: Path) -> None:
    socket = tmp_path / "nobody.sock"
    db = tmp_path / "x.sqlite"
    result = CliRunner().invoke(main, ["attach", "--wait", "0", "--db", str(db), str(socket)])
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert line.startswith(f"Error: no mpv answered at {socket} within 0 s")
    assert line.endswith(f"start mpv with --input-ipc-server={socket}")


def test_watch_without_mpv_installed_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = tmp_path / "ep01.mkv"
    clip.write_bytes(b"")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["watch", "--db", str(tmp_path / "x.sqlite"), str(clip)])
    assert result.exit_code == 1
    assert _one_error_line(result.stderr) == (
        "Error: mpv is not installed: apt-get install mpv (or see https://mpv.io)"
    )
    assert not (tmp_path / "x.sqlite").exists()  # checked before the store is touched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.mkv"], "Error: no such file: missing.mkv"),
        (
            ["ep01.mkv", "--input-ipc-server=/tmp/mine"],
            "Error: watch opens its own IPC socket; to track an mpv you start yourself with "
            "--input-ipc-server, use: immersion attach SOCKET",
        ),
    ],
)
def test_watch_refuses_what_it_cannot_track(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ep01.mkv").write_bytes(b"")
    result = CliRunner().invoke(main, ["watch", "--db", "x.sqlite", *args])
    assert result.exit_code == 1
    assert _one_error_line(result.stderr) == message


def test_watch_passes_mpv_arguments_through_and_reports_an_mpv_that_exits_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "mpv"  # records its arguments and exits like mpv on a bad option
    stand_in.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['ARGV_FILE'], 'w') as f: json.dump(sys.argv[1:], f)\n"
        "sys.exit(1)\n"
    )
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("ARGV_FILE", str(tmp_path / "argv.json"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-ep01.mkv").write_bytes(b"")
    result = CliRunner().invoke(
        main,
        ["watch", "--db", "x.sqlite", "-ep01.mkv", "--speed=2", "--", "--db", "--sub-file=a.srt"],
    )
    assert result.exit_code == 1
    assert _one_error_line(result.stderr) == (
        "Error: mpv exited (code 1) before it could be tracked; see its messages"
    )
    argv = json.loads((tmp_path / "argv.json").read_text())
    socket = Path(argv[0].removeprefix("--input-ipc-server="))
    assert argv[1:] == ["./-ep01.mkv", "--speed=2", "--db", "--sub-file=a.srt"]
    assert socket.name == "mpv.sock"
    assert not socket.parent.exists()  # the private directory is removed afterwards


def test_the_command_line_puts_our_socket_first() -> None:
    assert mpv_command("mpv", "ep.mkv", ["--fs"], Path("/tmp/d/mpv.sock")) == [
        "mpv",
        "--input-ipc-server=/tmp/d/mpv.sock",
        "ep.mkv",
        "--fs",
    ]
    assert mpv_command("mpv", "-", [], Path("s"))[2] == "-"  # stdin stays stdin


@pytest.mark.parametrize("args", [["watch"], ["attach"], ["watch", "--wait", "-1", "x.mkv"]])
def test_usage_errors_are_one_line(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert _one_error_line(result.stderr).startswith("Error: ")
