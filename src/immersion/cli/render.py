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
    "format_start",
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
    """Minutes as read from analytics results (floats), shown like ``format_duration``
    (nothing at all is ``0 min``)."""
    return "0 min" if minutes <= 0 else format_duration(round(minutes * 60_000))


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


def format_start(epoch_ms: int, zone: zoneinfo.ZoneInfo | None, this_year: int) -> str:
    """A session start, short: ``Nov 29 21:05`` this year, ``2025-11-29`` before."""
    local = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC).astimezone(zone)
    return local.strftime("%b %d %H:%M") if local.year == this_year else local.strftime("%Y-%m-%d")


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
    """Sessions in as few columns as leave a readable title in 80 characters (``--json``
    has every counter)."""
    if not summaries:
        console().print("No sessions recorded yet.")
        return
    this_year = dt.datetime.now(tz=zone).year
    table = new_table(title)
    table.add_column("started", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1, min_width=12)
    for header in ("active", "words", "cards", "known"):  # known: the lookup hit rate
        table.add_column(header, justify="right", no_wrap=True)
    for row in summaries:
        name = Text(row.title)  # the learner's data: never interpreted as markup
        if row.active:
            name.append(" (watching)", style="green")
        table.add_row(
            format_start(row.started_at_ms, zone, this_year),
            name,
            format_duration(row.active_watched_ms),
            format_count(row.words_seen),
            format_count(row.cards_mined),
            format_percent(row.lookup_hits / row.lookup_count if row.lookup_count else None),
        )
    console().print(table)
