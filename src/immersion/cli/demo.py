"""``immersion demo``: record a realistic simulated viewing through the real tracker.

The simulation drives a ``ManualClock``, so days of viewing are recorded in about a second while
the tracker, its worker and the store run exactly as they do for a learner.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import click

from ..clock import SystemClock
from ..composition import open_tracker
from ..config import default_data_dir
from ..testing import ManualClock
from ..tracker import Tracker
from .command import LearnerCommand
from .options import open_store, resolve_config, store_options
from .render import console, print_overview, print_sessions

__all__ = ["demo", "simulate_history"]

DAY_MS = 86_400_000

_LINES = (
    "今日はいい天気ですね",
    "どこへ行くの？",
    "魔法使いの旅はまだ終わらない",
    "ありがとう、また明日",
    "この村には古い言い伝えがある",
    "それは本当に大事なことなんだ",
    "Let me think about it",
    "ちょっと待って",
    "勇者ヒンメルならそうした",
    "一緒に行こう",
)


@dataclass(frozen=True)
class _Show:
    path: str
    title: str | None
    duration_s: int


_SHOWS = (
    _Show("/media/anime/Sousou no Frieren/Frieren - 01.mkv", "葬送のフリーレン 第1話", 24 * 60),
    _Show("/media/anime/Sousou no Frieren/Frieren - 02.mkv", "葬送のフリーレン 第2話", 24 * 60),
    _Show("/media/drama/Midnight Diner/Shinya Shokudo S01E03.mp4", None, 45 * 60),
    _Show(
        "https://media.example.org/stream/%E7%AC%AC1%E8%A9%B1.mp4?api_key=secret&StartTimeTicks=0",
        None,
        24 * 60,
    ),
)


def _watch(tracker: Tracker, clock: ManualClock, rng: random.Random, show: _Show) -> None:
    """One session: ticks every second, lines every 2-6 s, pauses, a seek, lookups, cards."""
    tracker.handle_media_change(show.path, show.title)
    tracker.record_media_duration(float(show.duration_s))
    start = rng.randrange(0, show.duration_s // 3)
    length = rng.randrange(6 * 60, min(20 * 60, show.duration_s - start))
    position = float(start)
    next_line = position + rng.uniform(2, 6)
    pause_at = position + rng.uniform(60, length / 2)
    seek_at = position + rng.uniform(length / 2, length)
    line_index = 0
    ticks = 0
    while position < start + length:
        clock.advance(1000)
        position += 1.0
        ticks += 1
        if ticks % 60 == 0:
            # In real time the worker keeps up easily; simulated minutes take microseconds,
            # so wait for it once a minute instead of overflowing the queue.
            tracker.flush(timeout_s=30)
        tracker.record_playback_position(position)
        if position >= next_line:
            text = _LINES[line_index % len(_LINES)]
            line_index += 1
            tracker.record_subtitle_line(text, next_line, next_line + 2.5)
            for _ in range(rng.randrange(0, 3)):
                tracker.record_lookup(rng.random() < 0.7)
            if rng.random() < 0.15:
                tracker.record_dictionary_lookup()
            if rng.random() < 0.05:
                tracker.record_cards_mined(1, (rng.randrange(10**12, 10**13),))
            next_line = position + rng.uniform(2, 6)
        if pause_at <= position < pause_at + 1:
            tracker.record_pause_state(True)
            clock.advance(rng.randrange(5_000, 30_000))
            tracker.record_pause_state(False)
            tracker.record_playback_position(position)
            pause_at = math.inf  # once: a replay after the seek passes this point again
        if seek_at <= position < seek_at + 1:
            position -= 10.0  # replay a line the learner missed
            tracker.record_playback_position(position)
            seek_at = math.inf  # once, or the replay would reach it and seek back forever
    tracker.handle_media_change(None)


def simulate_history(tracker: Tracker, clock: ManualClock, *, days: int = 4, seed: int = 7) -> int:
    """Record ``days`` days of viewing ending now; returns the number of sessions."""
    rng = random.Random(seed)
    sessions = 0
    day_start = clock.now_ms()
    for day in range(days):
        evening = day_start + day * DAY_MS
        clock.advance(max(0, evening - clock.now_ms()))
        for show in rng.sample(_SHOWS, k=rng.randrange(1, 3)):
            _watch(tracker, clock, rng, show)
            sessions += 1
            clock.advance(rng.randrange(5, 40) * 60_000)
    return sessions


@click.command(cls=LearnerCommand)
@store_options
@click.option("--days", default=4, show_default=True, type=click.IntRange(1, 60))
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same history.")
def demo(config_path: Path | None, db: Path | None, days: int, seed: int) -> None:
    """Record a simulated viewing history, then show the overview and latest sessions.

    Writes into its own immersion-demo.sqlite in the data directory (replaced on each run),
    never into your real database unless --db or --config says so.
    """
    demo_db = default_data_dir() / "immersion-demo.sqlite"
    config = resolve_config(config_path, db, default_db=demo_db)
    if db is None and config_path is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{demo_db}{suffix}").unlink(missing_ok=True)
    # Start `days` days ago, a few hours before now, so the last evening is today.
    clock = ManualClock(SystemClock().now_ms() - (days - 1) * DAY_MS - 6 * 3_600_000)
    with console().status("Recording a simulated viewing history..."):
        tracker = open_tracker(config, clock=clock)
        try:
            sessions = simulate_history(tracker, clock, days=days, seed=seed)
            tracker.handle_media_change(None)
            complete = tracker.flush(timeout_s=60)
        finally:
            tracker.close(timeout_s=60)
    where = config.storage.path if config.storage.provider == "sqlite" else None
    target = str(where) if where is not None else config.storage.provider
    console().print(f"Recorded {sessions} sessions into [bold]{target}[/bold]")
    if not complete:
        console().print("[yellow]warning:[/yellow] not every write reached the store in time")
    store = open_store(config)
    try:
        print_overview(store.overview())
        print_sessions(store.session_summaries(limit=10))
    finally:
        store.close()
