"""``immersion stats``: today, the streak, this week against last week, shows and sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import click
from rich.text import Text

from ..analytics import CalendarDay, VideoTrend
from ..results import Overview, SessionSummary
from .command import LearnerCommand, echo_json, json_option, opened_store, today_in
from .options import resolve_config, store_options
from .render import (
    console,
    format_count,
    format_minutes,
    new_table,
    print_sessions,
)

__all__ = ["WeekTotals", "stats", "week_totals"]

# The per-show table covers this range of ``ImmersionTrackingStore.trends``.
SHOWS_RANGE = "30d"


@dataclass(frozen=True, slots=True)
class WeekTotals:
    """Active minutes of ended sessions over seven local days ``start``..``end``."""

    start: dt.date
    end: dt.date
    active_min: float
    active_days: int


def week_totals(calendar: list[CalendarDay]) -> WeekTotals:
    """Sum one week of ``streak_calendar`` days (oldest first)."""
    return WeekTotals(
        start=calendar[0].day,
        end=calendar[-1].day,
        active_min=round(sum(day.active_min for day in calendar), 3),
        active_days=sum(1 for day in calendar if day.active_min > 0),
    )


@dataclass(frozen=True, slots=True)
class _Stats:
    """The ``--json`` document of ``immersion stats``."""

    today: dt.date
    overview: Overview
    this_week: WeekTotals
    last_week: WeekTotals
    shows: list[VideoTrend]  # the last 30 days, most watched first
    sessions: list[SessionSummary]


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many of the latest sessions to list.",
)
@json_option
def stats(config_path: Path | None, db: Path | None, limit: int, as_json: bool) -> None:
    """Today, your streak, this week, your shows and latest sessions.

    Today's minutes and cards, the current and longest streak, this week against last week,
    active time per show over the last 30 days and the latest sessions. Weeks are rolling:
    the last seven local days (today included) against the seven before.
    """
    config = resolve_config(config_path, db)
    today = today_in(config)
    with opened_store(config) as store:
        overview = store.overview(today=today)
        calendar = store.streak_calendar(days=14, today=today)
        shows = store.trends(range=SHOWS_RANGE, group_by="day", today=today).videos
        sessions = store.session_summaries(limit=limit)
    result = _Stats(
        today=today,
        overview=overview,
        this_week=week_totals(calendar[7:]),
        last_week=week_totals(calendar[:7]),
        shows=shows,
        sessions=sessions,
    )
    if as_json:
        echo_json(result)
        return
    _print_headline(result)
    _print_shows(result.shows)
    print_sessions(result.sessions, zone=config.zone())


def _print_headline(result: _Stats) -> None:
    overview, this, last = result.overview, result.this_week, result.last_week
    table = new_table(f"Today, {result.today.isoformat()}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row(
        "today",
        f"{format_minutes(overview.today_active_min)} watched, "
        f"{format_count(overview.today_cards)} card{'' if overview.today_cards == 1 else 's'}",
    )
    current = overview.current_streak_days
    streak_style = "green" if current else "dim"
    table.add_row(
        "streak",
        Text.assemble(
            (f"{current} day{'' if current == 1 else 's'}", streak_style),
            f" (longest {overview.longest_streak_days}, "
            f"{overview.active_days} active day{'' if overview.active_days == 1 else 's'} ever)",
        ),
    )
    table.add_row("this week", _week_text(this))
    table.add_row("last week", _week_text(last))
    change = round(this.active_min - last.active_min, 3)
    sign = "+" if change >= 0 else "-"
    table.add_row(
        "change",
        Text(f"{sign}{format_minutes(abs(change))}", style="green" if change >= 0 else "red"),
    )
    table.add_row(
        "all time",
        f"{overview.all_time_hours:,.1f} h in {format_count(overview.total_sessions)} "
        f"session{'' if overview.total_sessions == 1 else 's'}, "
        f"{format_count(overview.words_seen)} words, {format_count(overview.cards_mined)} cards",
    )
    console().print(table)


def _week_text(week: WeekTotals) -> str:
    days = week.active_days
    span = f"{week.start.strftime('%b %d')} - {week.end.strftime('%b %d')}"
    return f"{format_minutes(week.active_min)} on {days} day{'' if days == 1 else 's'} ({span})"


def _print_shows(shows: list[VideoTrend]) -> None:
    if not shows:
        console().print("Nothing watched in the last 30 days.")
        return
    table = new_table("Shows, last 30 days")
    table.add_column("title", overflow="fold", max_width=48)
    table.add_column("active", justify="right")
    table.add_column("sessions", justify="right")
    table.add_column("words", justify="right")
    table.add_column("cards", justify="right")
    for show in shows:
        table.add_row(
            Text(show.title),  # the learner's data: never interpreted as markup
            format_minutes(show.active_min),
            format_count(show.sessions),
            format_count(show.words_seen),
            format_count(show.cards_mined),
        )
    console().print(table)
