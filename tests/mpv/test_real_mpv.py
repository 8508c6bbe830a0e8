"""End to end with the real mpv, headless, on clips generated here with ffmpeg.

Locally these skip without mpv or ffmpeg; in CI (``CI=true``) they fail instead, since
``.ci/run`` installs both. Playback is real, so it takes real time: clips play at double
speed (a 6 s clip in about 3 s), and active time is expected near the clip's length divided
by the speed. Waits poll mpv with deadlines; the only fixed wait is the pause being measured.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from immersion import open_tracker
from immersion.cli import main
from immersion.mpv import MpvCommandError, MpvIpcClient, connect, launched_mpv, record_mpv
from immersion.results import SessionSummary
from immersion.stores.sqlite import SqliteStore
from tests.support.servers import in_ci

pytestmark = pytest.mark.slow

SPEED = 2.0
HEADLESS = [
    "--no-config",
    "--vo=null",
    "--ao=null",
    "--idle=no",
    "--no-terminal",
    "--really-quiet",
    f"--speed={SPEED:g}",
]
CUES = [  # (start s, end s, text)
    (0.5, 1.5, "今日はいい天気ですね"),
    (1.8, 3.0, "どこへ行くの？"),
    (3.0, 4.2, "Let me think about it"),
    (4.5, 5.5, "ありがとう、また明日"),
]
SHORT_CUES = [(0.3, 0.9, "一緒に行こう"), (1.0, 1.8, "ちょっと待って"), (2.0, 2.8, "また明日")]


@dataclass(frozen=True)
class Media:
    episode: Path  # 6 s, titled "テスト 第1話"
    episode_subs: Path  # CUES, not named after the clip: passed with --sub-file
    first: Path  # 3 s, no title; first.srt (2 cues) beside it, loaded by mpv itself
    second: Path  # 3 s, no title; second.srt (SHORT_CUES)


def _require_tools() -> None:
    missing = [tool for tool in ("mpv", "ffmpeg") if shutil.which(tool) is None]
    if not missing:
        return
    if in_ci():
        pytest.fail(f"{' and '.join(missing)} missing in CI: .ci/run installs mpv and ffmpeg")
    pytest.skip("install mpv and ffmpeg (apt-get install mpv ffmpeg) to run")


def _clip(path: Path, seconds: float, title: str | None = None) -> Path:
    """A tiny clip made only with ffmpeg's built-in sources and encoders."""
    command = ["ffmpeg", "-v", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc=size=160x120:rate=10:duration={seconds}"]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=8000:duration={seconds}"]
    command += ["-c:v", "mpeg4", "-q:v", "10", "-c:a", "pcm_s16le"]
    if title is not None:
        command += ["-metadata", f"title={title}"]
    subprocess.run([*command, str(path)], check=True, timeout=60)
    return path


def _srt(path: Path, cues: list[tuple[float, float, str]]) -> Path:
    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        hours, minutes, secs = ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60
        return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms % 1000:03d}"

    blocks = [f"{i}\n{stamp(a)} --> {stamp(b)}\n{text}\n" for i, (a, b, text) in enumerate(cues, 1)]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    _require_tools()
    folder = tmp_path_factory.mktemp("media")
    _srt(folder / "first.srt", CUES[:2])
    _srt(folder / "second.srt", SHORT_CUES)
    return Media(
        episode=_clip(folder / "ep01.mkv", 6, title="テスト 第1話"),
        episode_subs=_srt(folder / "cues.srt", CUES),
        first=_clip(folder / "first.mkv", 3),
        second=_clip(folder / "second.mkv", 3),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "immersion.sqlite"


def _sessions(db: Path) -> list[SessionSummary]:
    store = SqliteStore(db)
    try:
        return list(reversed(store.session_summaries()))  # oldest first
    finally:
        store.close()


def _watch(db: Path, *args: str) -> tuple[str, int]:
    """Run ``immersion watch``; its output and the wall time it took in ms."""
    started = time.monotonic()
    result = CliRunner().invoke(main, ["watch", "--db", str(db), *args])
    elapsed_ms = round((time.monotonic() - started) * 1000)
    assert result.exit_code == 0, result.output
    return result.stdout, elapsed_ms


def test_watch_records_one_session_of_a_real_playback(media: Media, db: Path) -> None:
    output, elapsed_ms = _watch(
        db, str(media.episode), "--", *HEADLESS, f"--sub-file={media.episode_subs}"
    )
    [session] = _sessions(db)
    assert session.video_key == f"local:{media.episode}"
    assert session.title == "テスト 第1話"
    assert session.lines_seen == len(CUES)
    assert session.words_seen == 1 + 1 + 5 + 1
    assert session.ended_at_ms is not None and session.pause_count == 0
    played_ms = 6_000 / SPEED
    assert 0.75 * played_ms <= session.active_watched_ms <= elapsed_ms
    assert "Recorded 1 session" in output and "テスト 第1話" in output


def test_a_two_file_playlist_gives_two_sessions(media: Media, db: Path) -> None:
    # mpv plays every file it is given: the second one rides along with the mpv arguments
    _watch(db, str(media.first), "--", str(media.second), *HEADLESS)
    first, second = _sessions(db)
    assert (first.title, first.lines_seen) == ("first", 2)
    assert (second.title, second.lines_seen) == ("second", len(SHORT_CUES))
    assert first.ended_at_ms is not None and second.ended_at_ms is not None
    assert first.ended_at_ms <= second.started_at_ms
    for session in (first, second):
        assert session.active_watched_ms >= 0.75 * 3_000 / SPEED


def _position(controller: MpvIpcClient) -> float:
    try:
        return float(controller.get_property("time-pos") or 0)
    except MpvCommandError:  # unavailable while the file loads
        return 0.0


def _pause_once(socket: Path, alive: Callable[[], bool], paused: list[float]) -> None:
    """A second IPC client: wait for playback to be under way, pause ~1 s, resume."""
    with connect(socket, on_event=lambda message: None, alive=alive) as controller:
        deadline = time.monotonic() + 15
        while _position(controller) < 1.0:
            if time.monotonic() > deadline:
                return  # the test fails on the missing pause
            threading.Event().wait(0.02)  # polling mpv's progress
        controller.set_property("pause", True)
        started = time.monotonic()
        threading.Event().wait(1.0)  # the pause being measured: real time is the point
        controller.set_property("pause", False)
        paused.append((time.monotonic() - started) * 1000)


def test_a_pause_sent_over_ipc_is_counted_with_its_duration(media: Media, db: Path) -> None:
    tracker = open_tracker({"storage": {"provider": "sqlite", "path": str(db)}})
    paused: list[float] = []
    try:
        started = time.monotonic()
        with launched_mpv(str(media.episode), HEADLESS) as mpv:
            assert stat.S_IMODE(mpv.socket_path.parent.stat().st_mode) == 0o700  # private
            pauser = threading.Thread(target=_pause_once, args=(mpv.socket_path, mpv.alive, paused))
            pauser.start()
            recording = record_mpv(tracker, mpv.socket_path, alive=mpv.alive)
            pauser.join(10)
        elapsed_ms = (time.monotonic() - started) * 1000
        assert tracker.flush(10)
    finally:
        tracker.close(10)
    [session] = _sessions(db)
    assert recording.sessions == (session.session_uuid,)
    assert len(paused) == 1 and session.pause_count == 1
    assert abs(session.pause_ms - paused[0]) <= 250
    assert 0.75 * 6_000 / SPEED <= session.active_watched_ms <= elapsed_ms - session.pause_ms
    assert session.total_watched_ms >= session.active_watched_ms + 0.9 * session.pause_ms


def _children_named(name: str) -> list[int]:
    """Live child processes of ours called ``name`` (from /proc; zombies excluded)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
        except OSError:  # exited meanwhile
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        state, ppid = text[text.rindex(")") + 2 :].split()[:2]
        if comm == name and int(ppid) == os.getpid() and state != "Z":
            found.append(int(stat_file.parent.name))
    return found


@pytest.fixture(autouse=True)
def no_stray_mpv() -> Iterator[None]:
    yield
    assert _children_named("mpv") == []  # launched_mpv stops mpv on every path
