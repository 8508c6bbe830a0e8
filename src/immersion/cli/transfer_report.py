"""What the transfer commands print on stdout: the migration summary, the verification table,
and the reports of ``import-subminer`` and ``import``."""

from __future__ import annotations

from ..transfer.importer import ImportReport
from ..transfer.migrate import MigrationResult
from ..transfer.subminer_import import SubminerReport
from ..transfer.verify import Verification
from .render import console, format_count, new_table

__all__ = ["print_import", "print_migration", "print_subminer", "print_verification"]


def print_migration(result: MigrationResult, route: str) -> None:
    """One sentence: what was copied, how fast (``route``: "source -> destination")."""
    say = console().print
    if result.already_complete:
        say(
            f"This migration ({route}) had already finished: nothing to copy (--merge brings "
            "over what the source gained since). Verifying.",
            soft_wrap=True,
        )
        return
    rows = sum(result.read.values())
    rate = result.rows_per_second
    how = "resumed and finished" if result.resumed else "finished"
    say(
        f"Migration ({result.mode}, {route}) {how}: {format_count(rows)} records read, "
        f"{format_count(sum(result.inserted.values()))} new in the destination, in "
        f"{result.seconds:.1f} s" + (f" ({rate:,.0f} rows/s)" if rate else "") + ".",
        soft_wrap=True,
    )
    if result.mode == "merge":
        say(
            f"Rollups and lifetime totals recomputed ({result.rollup_groups} groups); "
            f"{result.finalized} active sessions ended with the source's final counters.",
            soft_wrap=True,
        )


def print_verification(verification: Verification) -> None:
    """The verification table: per kind, rows on both sides and the result."""
    merge = any(check.merge for check in verification.checks)
    table = new_table(f"Verification ({verification.seconds:.1f} s)")
    table.add_column("data")
    table.add_column("source", justify="right")
    table.add_column("destination", justify="right")
    table.add_column("missing" if merge else "checksum", justify="right")
    table.add_column("result")
    for check in verification.checks:
        if check.recomputed:
            result = "recomputed"
        elif not check.ok:
            result = "[red]MISSING[/red]" if merge else "[red]MISMATCH[/red]"
        elif check.conflicts:
            result = f"ok ({check.conflicts} kept as the destination had them)"
        else:
            result = "[green]match[/green]"
        detail = (
            format_count(check.missing)
            if merge
            else f"{check.source_checksum:032x}"[:12]
            + ("" if check.ok else f" / {check.destination_checksum:032x}"[:15])
        )
        table.add_row(
            check.kind,
            format_count(check.source_rows),
            format_count(check.destination_rows),
            detail,
            result,
        )
    console().print(table)


def print_subminer(report: SubminerReport, label: str) -> None:
    """What a SubMiner import read, stored, closed and skipped."""
    table = new_table(f"SubMiner import (schema v{report.version}) into {label}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("videos", f"{report.videos:,} ({report.videos_new:,} new)")
    table.add_row(
        "sessions",
        f"{report.sessions:,} ({report.sessions_new:,} new, "
        f"{report.sessions_unchanged:,} already imported)",
    )
    table.add_row("active sessions closed at their last sample", f"{report.sessions_closed:,}")
    table.add_row("telemetry samples written", f"{report.samples:,}")
    table.add_row("events written", f"{report.events:,}")
    table.add_row("rows skipped", f"{report.skipped_count:,}")
    table.add_row("took", f"{report.seconds:.1f} s")
    console().print(table)


def print_import(report: ImportReport, label: str) -> None:
    """Per kind: valid records, stored, already present (or recomputed, in a merge)."""
    table = new_table(f"Import ({report.mode}) into {label}")
    table.add_column("data")
    table.add_column("valid", justify="right")
    table.add_column("stored", justify="right")
    table.add_column("already present", justify="right")
    for kind, read in report.read.items():
        if kind in report.recomputed:
            table.add_row(kind, format_count(read), "recomputed", "")
            continue
        stored = report.inserted.get(kind, 0)
        table.add_row(kind, format_count(read), format_count(stored), format_count(read - stored))
    console().print(table)
    if report.mode == "merge":
        console().print(
            f"Rollups and lifetime totals recomputed ({report.rollup_groups} groups).",
            soft_wrap=True,
        )
