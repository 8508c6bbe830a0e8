"""``immersion trends``: active time per day or month as a bar chart, with totals and ratios."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..analytics import GROUP_BYS, RANGES, ActivityBucket, ThroughputBucket, Trends
from .chart import print_bars
from .command import LearnerCommand, echo_json, json_option, opened_store, to_jsonable, today_in
from .options import resolve_config, store_options
from .render import (
    console,
    format_count,
    format_minutes,
    format_percent,
    format_rate,
    new_table,
)

__all__ = ["trends"]


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--range",
    "range_name",
    type=click.Choice(list(RANGES)),
    default="30d",
    show_default=True,
    help="How far back, ending today (all: since the first session).",
)
@click.option(
    "--by",
    "group_by",
    type=click.Choice(list(GROUP_BYS)),
    default="day",
    show_default=True,
    help="One bar per day or per month.",
)
@json_option
def trends(
    config_path: Path | None,
    db: Path | None,
    range_name: str,
    group_by: str,
    as_json: bool,
) -> None:
    """Active time per day or month as a bar chart, with totals and ratios.

    The ratios are over the whole range: words read per minute, cards mined per hour and the
    lookup hit rate."""
    config = resolve_config(config_path, db)
    today = today_in(config)
    with opened_store(config) as store:
        try:
            result = store.trends(range=range_name, group_by=group_by, today=today)
            overall = store.throughput(range=range_name, group_by=group_by, today=today).overall
        except ValueError as exc:  # the choices above make this a store's own refusal
            raise click.ClickException(str(exc)) from None
    totals = _totals(result)
    if as_json:
        document = to_jsonable(result)
        document["totals"] = to_jsonable(totals)
        document["overall"] = to_jsonable(overall)
        echo_json(document)
        return
    _print_trends(result, totals, overall)


def _totals(result: Trends) -> ActivityBucket:
    """The whole range: the last running total, keyed ``"<start>/<end>"``."""
    key = f"{result.start.isoformat()}/{result.end.isoformat()}"
    if not result.cumulative:
        return ActivityBucket(key, 0, 0.0, 0, 0, 0, 0, 0)
    last = result.cumulative[-1]
    return ActivityBucket(
        key,
        last.sessions,
        last.active_min,
        last.lines_seen,
        last.words_seen,
        last.tokens_seen,
        last.cards_mined,
        last.dictionary_lookups,
    )


def _label(key: str, group_by: str) -> str:
    if group_by == "day":
        return f"{key} {dt.date.fromisoformat(key).strftime('%a')}"
    return key


def _print_trends(result: Trends, totals: ActivityBucket, overall: ThroughputBucket) -> None:
    out = console()
    per = "day" if result.group_by == "day" else "month"
    out.print(
        f"Active time per {per}, {result.start.isoformat()} to {result.end.isoformat()} "
        f"({result.range})",
        style="bold" if out.is_terminal else "",
    )
    rows = [(_label(bucket.key, result.group_by), bucket.active_min) for bucket in result.activity]
    print_bars(out, rows, format_minutes)
    table = new_table("Totals", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("sessions", format_count(totals.sessions))
    table.add_row("active time", format_minutes(totals.active_min))
    table.add_row("lines read", format_count(totals.lines_seen))
    table.add_row("words read", format_count(totals.words_seen))
    table.add_row("cards mined", format_count(totals.cards_mined))
    table.add_row("dictionary lookups", format_count(totals.dictionary_lookups))
    table.add_row("reading speed", format_rate(overall.words_per_min, "words/min"))
    table.add_row("mining rate", format_rate(overall.cards_per_hour, "cards/hour"))
    table.add_row("lookup hit rate", format_percent(overall.lookup_hit_rate))
    out.print(table)
