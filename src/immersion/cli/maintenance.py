"""``immersion maintenance``: one maintenance pass now, and what it did.

The same pass the tracker's worker runs on its own (``immersion.maintenance.run_pass``): close
sessions left active by a crash, bring rollups up to date, prune data older than its retention
window, and compact when that is due; ``--vacuum`` compacts whether due or not.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..clock import SystemClock
from ..maintenance import run_pass
from ..results import MaintenanceReport, StoreCapabilities
from .command import LearnerCommand, echo_json, json_option, opened_store
from .options import resolve_config, store_options
from .render import console, err_console, format_count, new_table

__all__ = ["maintenance"]

_PRUNED_KINDS = (
    ("events", "events"),
    ("telemetry", "telemetry samples"),
    ("sessions", "ended sessions"),
    ("daily_rollups", "daily rollups"),
    ("monthly_rollups", "monthly rollups"),
    ("session_totals", "ledger entries"),
)


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--vacuum",
    is_flag=True,
    help="Compact the database now (VACUUM and friends), even if it is not due yet.",
)
@json_option
def maintenance(config_path: Path | None, db: Path | None, vacuum: bool, as_json: bool) -> None:
    """Run one maintenance pass now and show its report.

    Closes sessions left active by a crash, updates rollups, deletes data older than the
    retention windows and compacts the database when that is due (or with --vacuum).
    """
    config = resolve_config(config_path, db)
    # Progress goes to stderr: with --json, stdout carries the report alone.
    with err_console().status("Running maintenance..."), opened_store(config) as store:
        capabilities = store.capabilities
        report = run_pass(
            store, config, SystemClock(), allow_compaction=True, force_compaction=vacuum
        )
    if as_json:
        echo_json(report)
        return
    _print_report(report, capabilities, vacuum)


def _print_report(report: MaintenanceReport, capabilities: StoreCapabilities, vacuum: bool) -> None:
    table = new_table("Maintenance", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("stale sessions closed", format_count(report.stale_sessions_closed))
    table.add_row(
        "rollup groups recomputed",
        format_count(report.rollup_groups) if capabilities.rollups else "not kept by this store",
    )
    for kind, label in _PRUNED_KINDS:
        if capabilities.retention:
            table.add_row(f"pruned {label}", format_count(report.pruned.get(kind, 0)))
    if not capabilities.retention:
        table.add_row("pruned", "no retention in this store")
    if report.compacted:
        compacted = "[green]yes[/green]"
    elif not capabilities.compaction:
        compacted = "not needed by this store" if not vacuum else "not supported by this store"
    else:
        compacted = "no (not due; --vacuum forces it)"
    table.add_row("compacted", compacted)
    table.add_row("took", f"{report.duration_ms:,} ms")
    console().print(table)
