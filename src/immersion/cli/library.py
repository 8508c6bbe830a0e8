"""``immersion sessions`` and ``immersion videos``: what was watched, session by session and
video by video."""

from __future__ import annotations

import datetime as dt
import inspect
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import click
from rich.text import Text

from ..results import SessionSummary, VideoStats
from ..store import ImmersionTrackingStore
from .command import LearnerCommand, echo_json, json_option, opened_store
from .options import resolve_config, store_options
from .render import (
    console,
    format_count,
    format_duration,
    format_start,
    new_table,
    print_sessions,
)

__all__ = ["latest_sessions", "sessions", "videos"]

# Without a store-side filter, the latest this many sessions are searched for one video.
CLIENT_FILTER_WINDOW = 10_000


def latest_sessions(
    store: ImmersionTrackingStore, limit: int, video_key: str | None
) -> list[SessionSummary]:
    """The latest ``limit`` sessions, only ``video_key``'s when given.

    Stores that take ``session_summaries(limit, video_key)`` filter in the query; for one that
    does not (an older third-party store), the latest sessions are filtered here.
    """
    if video_key is None:
        return store.session_summaries(limit=limit)
    read: Callable[..., list[SessionSummary]] = store.session_summaries
    if "video_key" in inspect.signature(read).parameters:
        return read(limit=limit, video_key=video_key)
    window = read(limit=max(limit, CLIENT_FILTER_WINDOW))
    return [row for row in window if row.video_key == video_key][:limit]


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="How many sessions to list, newest first.",
)
@click.option(
    "--video",
    "video_key",
    metavar="KEY",
    help="Only the sessions of this video (its key, as `immersion videos` lists it).",
)
@json_option
def sessions(
    config_path: Path | None,
    db: Path | None,
    limit: int,
    video_key: str | None,
    as_json: bool,
) -> None:
    """List the latest sessions, newest first."""
    config = resolve_config(config_path, db)
    with opened_store(config) as store:
        if video_key is not None and store.get_video(video_key) is None:
            raise click.ClickException(
                f"no video with key {video_key!r}; `immersion videos` lists the keys"
            )
        rows = latest_sessions(store, limit, video_key)
    if as_json:
        echo_json(rows)
        return
    print_sessions(rows, title="Sessions", zone=config.zone())


@click.command(cls=LearnerCommand)
@store_options
@json_option
def videos(config_path: Path | None, db: Path | None, as_json: bool) -> None:
    """Every video with its lifetime totals, most recently watched first.

    Each video's key (the second line of its row, or `video_key` in --json) is what
    `immersion sessions --video KEY` takes."""
    config = resolve_config(config_path, db)
    with opened_store(config) as store:
        rows = store.video_stats()
    if as_json:
        echo_json(rows)
        return
    _print_videos(rows, config.zone())


def _print_videos(rows: list[VideoStats], zone: zoneinfo.ZoneInfo | None) -> None:
    if not rows:
        console().print("No videos recorded yet.")
        return
    this_year = dt.datetime.now(tz=zone).year
    table = new_table("Videos (title, then the key --video takes)")
    table.add_column("video", overflow="fold", ratio=1, min_width=16)
    for name in ("sessions", "active", "words", "cards"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("last watched", no_wrap=True)
    for row in rows:
        # The learner's data: Text, never interpreted as markup.
        video = Text(row.title)
        video.append(f"\n{row.video_key}", style="dim")
        last = row.last_watched_ms
        table.add_row(
            video,
            format_count(row.sessions),
            format_duration(row.active_watched_ms),
            format_count(row.words_seen),
            format_count(row.cards_mined),
            format_start(last, zone, this_year) if last is not None else "never",
        )
    console().print(table)
