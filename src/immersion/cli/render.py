"""Rich rendering of store reads. Colours degrade to plain text when not on a terminal.

On a terminal tables have rounded borders and colours; piped or redirected, they are drawn in
ASCII without colour, so the output stays readable in a log file or an e-mail.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from functools import cache
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..results import Overview, SessionSummary

__all__ = [
    "console",
    "err_console",
    "format_count",
    "format_duration",
    "format_minutes",
    "format_percent",
    "format_rate",
    "format_time",
    "new_table",
    "print_overview",
    "print_sessions",
]


@cache
def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


@cache
def err_console() -> Console:
    """Progress and notes that must stay off stdout (``--json`` owns it)."""
    return Console(stderr=True, highlight=False, soft_wrap=False)


def new_table(title: str | None = None, **options: Any) -> Table:
    """A table in the house style: rounded and coloured on a terminal, ASCII otherwise."""
    terminal = console().is_terminal
    return Table(
        title=title,
        title_justify="left",
        box=box.ROUNDED if terminal else box.ASCII,
        header_style="bold" if terminal else "",
        title_style="bold" if terminal else "",
        **options,
    )


def format_duration(ms: int) -> str:
    """``5_430_000`` -> ``"1 h 30 min"``; under an hour ``"12 min"``; under a minute ``"40 s"``."""
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_minutes(minutes: float) -> str:
    """Minutes as read from analytics results (floats), shown like ``format_duration``."""
    return format_duration(round(minutes * 60_000))


def format_count(value: int) -> str:
    return f"{value:,}"


def format_rate(value: float | None, unit: str) -> str:
    """A ratio with its unit, or ``-`` when it is undefined (nothing to divide by)."""
    return "-" if value is None else f"{value:,.1f} {unit}"


def format_percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def format_time(epoch_ms: int | None, zone: zoneinfo.ZoneInfo | None = None) -> str:
    """``YYYY-MM-DD HH:MM`` in ``zone`` (the system's local zone when ``None``)."""
    if epoch_ms is None:
        return "-"
    instant = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def print_overview(overview: Overview) -> None:
    table = new_table("Overview", show_header=False)
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


def print_sessions(
    summaries: Sequence[SessionSummary],
    *,
    title: str = "Latest sessions",
    zone: zoneinfo.ZoneInfo | None = None,
) -> None:
    if not summaries:
        console().print("No sessions recorded yet.")
        return
    table = new_table(title)
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
            format_time(row.started_at_ms, zone),
            Text(row.title),  # the learner's data: never interpreted as markup
            format_duration(row.active_watched_ms),
            str(row.lines_seen),
            str(row.words_seen),
            str(row.cards_mined),
            f"{row.lookup_count}{hit_rate}",
            "[green]active[/green]" if row.active else "ended",
        )
    console().print(table)
