"""Rich rendering of store reads. Colours degrade to plain text when not on a terminal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..results import Overview, SessionSummary

__all__ = ["console", "format_duration", "format_time", "print_overview", "print_sessions"]


@cache
def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def format_duration(ms: int) -> str:
    """``5_430_000`` -> ``"1 h 30 min"``; under an hour ``"12 min"``; under a minute ``"40 s"``."""
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_time(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch_ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M")


def print_overview(overview: Overview) -> None:
    table = Table(title="Overview", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("sessions", f"{overview.total_sessions} ({overview.active_sessions} active)")
    table.add_row("videos", str(overview.total_videos))
    table.add_row("active time", format_duration(overview.active_watched_ms))
    table.add_row("lines read", f"{overview.lines_seen:,}")
    table.add_row("words read", f"{overview.words_seen:,}")
    table.add_row("tokens read", f"{overview.tokens_seen:,}")
    table.add_row("cards mined", f"{overview.cards_mined:,}")
    console().print(table)


def print_sessions(summaries: Sequence[SessionSummary]) -> None:
    if not summaries:
        console().print("No sessions recorded yet.")
        return
    table = Table(title="Latest sessions", title_justify="left")
    table.add_column("started")
    table.add_column("title", overflow="fold", max_width=40)
    table.add_column("active", justify="right")
    table.add_column("lines", justify="right")
    table.add_column("words", justify="right")
    table.add_column("cards", justify="right")
    table.add_column("lookups", justify="right")
    table.add_column("status")
    for row in summaries:
        hit_rate = (
            f" ({row.lookup_hits * 100 // row.lookup_count}% known)" if row.lookup_count else ""
        )
        table.add_row(
            format_time(row.started_at_ms),
            Text(row.title),  # the learner's data: never interpreted as markup
            format_duration(row.active_watched_ms),
            str(row.lines_seen),
            str(row.words_seen),
            str(row.cards_mined),
            f"{row.lookup_count}{hit_rate}",
            "[green]active[/green]" if row.active else "ended",
        )
    console().print(table)
