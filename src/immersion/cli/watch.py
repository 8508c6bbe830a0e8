"""``immersion watch`` and ``immersion attach``: record real playback in mpv.

``watch`` starts mpv itself (socket in a private temporary directory) and records until mpv
exits; ``attach`` follows an mpv the learner started with ``--input-ipc-server=SOCKET`` until
it quits or Ctrl-C. Both then print what was recorded, read back from the store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import click
from rich.text import Text

from ..composition import open_tracker
from ..config import TrackerConfig
from ..mpv import (
    MpvConnectError,
    MpvIpcError,
    Recording,
    check_mpv_args,
    find_mpv,
    launched_mpv,
    record_mpv,
)
from ..results import SessionSummary
from ..store import ImmersionTrackingStore
from ..tracker import Tracker
from .command import LearnerCommand
from .options import resolve_config, store_options
from .render import console, err_console, format_duration, new_table

__all__ = ["attach", "watch"]

_STORE_TIMEOUT_S = 30.0
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@click.command(cls=LearnerCommand, context_settings={"ignore_unknown_options": True})
@store_options
@click.option(
    "--wait",
    "wait_s",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds to wait for mpv to open its IPC socket.",
)
@click.argument("target", metavar="FILE_OR_URL")
@click.argument("mpv_args", nargs=-1, type=click.UNPROCESSED, metavar="[MPV_ARGS]...")
def watch(
    config_path: Path | None,
    db: Path | None,
    wait_s: float,
    target: str,
    mpv_args: tuple[str, ...],
) -> None:
    """Play FILE_OR_URL in mpv and record the viewing, then show what was recorded.

    MPV_ARGS go to mpv unchanged; put them after `--` when one could be read as ours:

        immersion watch episode.mkv -- --sub-file=episode.ja.srt --speed=1.25
    """
    check_mpv_args(mpv_args)
    if not (_URL.match(target) or target == "-" or os.path.exists(target)):
        raise click.ClickException(f"no such file: {target}")
    config = resolve_config(config_path, db)
    find_mpv()  # before the store is opened: the most likely problem on a fresh machine
    tracker = open_tracker(config)
    try:
        with launched_mpv(target, mpv_args) as mpv:
            try:
                recording = record_mpv(
                    tracker,
                    mpv.socket_path,
                    connect_timeout_s=wait_s,
                    working_directory=os.getcwd(),  # mpv inherits ours
                    alive=mpv.alive,
                )
            except MpvConnectError:
                code = mpv.wait(1.0)
                if code is None:
                    raise
                raise MpvIpcError(
                    f"mpv exited (code {code}) before it could be tracked; see its messages"
                ) from None
            exit_code = mpv.wait(10.0)  # the socket closed: mpv is on its way out
        _report(tracker, config, recording)
    finally:
        tracker.close(_STORE_TIMEOUT_S)
    if not recording.sessions and not recording.interrupted:
        why = f"mpv exited with code {exit_code}" if exit_code else "mpv played nothing"
        raise click.ClickException(f"nothing was recorded: {why}")


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--wait",
    "wait_s",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds to wait for mpv to open SOCKET.",
)
@click.argument("socket_path", metavar="SOCKET", type=click.Path(dir_okay=False, path_type=Path))
def attach(config_path: Path | None, db: Path | None, wait_s: float, socket_path: Path) -> None:
    """Record an mpv started with --input-ipc-server=SOCKET until it quits (or Ctrl-C).

    Follows every file mpv plays (one session each), then shows what was recorded.
    """
    config = resolve_config(config_path, db)
    tracker = open_tracker(config)
    try:
        recording = record_mpv(
            tracker,
            socket_path,
            connect_timeout_s=wait_s,
            on_connected=lambda: err_console().print(
                f"Recording the mpv at {socket_path} (Ctrl-C to stop)...",
                markup=False,
                soft_wrap=True,
            ),
        )
        _report(tracker, config, recording)
    finally:
        tracker.close(_STORE_TIMEOUT_S)


def _report(tracker: Tracker, config: TrackerConfig, recording: Recording) -> None:
    """Store everything, then print this run's sessions as the store has them."""
    complete = tracker.flush(_STORE_TIMEOUT_S)
    summaries = _summaries(tracker.store, recording.sessions)
    out = console()
    where = config.storage.path if config.storage.provider == "sqlite" else None
    target = str(where) if where is not None else config.storage.provider
    count = len(summaries)
    plural = "" if count == 1 else "s"
    out.print(f"Recorded {count} session{plural} into {target}", markup=False, soft_wrap=True)
    if summaries:
        _print_summaries(summaries)
    notes = err_console()
    if recording.interrupted:
        notes.print("Stopped by Ctrl-C; the session was ended and saved.")
    if not complete:
        notes.print("[yellow]warning:[/yellow] not every write reached the store in time")
    skipped = recording.ipc.malformed_lines
    if skipped:
        notes.print(f"[yellow]note:[/yellow] skipped {skipped} malformed message(s) from mpv")


def _summaries(store: ImmersionTrackingStore, uuids: Sequence[str]) -> list[SessionSummary]:
    rows: list[SessionSummary] = []
    for uuid in uuids:
        session = store.get_session(uuid)
        if session is None:  # never stored (the store failed): the warning says so
            continue
        video = store.get_video(session.video_key)
        rows.append(
            SessionSummary.build(
                session_uuid=session.session_uuid,
                video_key=session.video_key,
                title=video.title if video is not None else session.video_key,
                started_at_ms=session.started_at_ms,
                ended_at_ms=session.ended_at_ms,
                ended_media_ms=session.ended_media_ms,
                counters=session.counters,
            )
        )
    return rows


def _print_summaries(rows: Sequence[SessionSummary]) -> None:
    table = new_table("This viewing")
    table.add_column("title", overflow="fold", max_width=48)
    table.add_column("active", justify="right")
    table.add_column("lines", justify="right")
    table.add_column("words", justify="right")
    table.add_column("cards", justify="right")
    table.add_column("lookups", justify="right")
    table.add_column("pauses", justify="right")
    for row in rows:
        table.add_row(
            Text(row.title),  # the learner's data: never interpreted as markup
            format_duration(row.active_watched_ms),
            str(row.lines_seen),
            str(row.words_seen),
            str(row.cards_mined),
            str(row.lookup_count),
            f"{row.pause_count} ({format_duration(row.pause_ms)})" if row.pause_count else "0",
        )
    console().print(table)
