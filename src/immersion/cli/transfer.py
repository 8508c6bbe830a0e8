"""``immersion migrate``, ``import-subminer``, ``export`` and ``import``: moving data.

Progress bars go to stderr; reports and the verification table to stdout. A failure is one
line on stderr and a non-zero exit: a refused destination, a verification mismatch (exit 1
after the table), rejected records (exit 1 after listing them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ..records import RecordKind
from ..transfer.endpoints import open_endpoint, storage_for
from ..transfer.export import export_store
from ..transfer.importer import import_path
from ..transfer.migrate import Observer
from ..transfer.migrate import migrate as run_migration
from ..transfer.subminer_import import import_subminer
from ..transfer.verify import verify
from .command import LearnerCommand
from .options import resolve_config, store_options
from .render import console, err_console, format_count
from .transfer_report import print_import, print_migration, print_subminer, print_verification

__all__ = ["export", "import_", "import_subminer_command", "migrate"]

_MAX_LISTED = 50  # rejected records listed one by one

F = TypeVar("F", bound=Callable[..., Any])


def _batch_size(function: F) -> F:
    return click.option(
        "--batch-size",
        type=click.IntRange(1, 100_000),
        default=5000,
        show_default=True,
        help="Records per batch (one transaction each).",
    )(function)


class _RowsPerSecond(ProgressColumn):
    """Throughput in the task's ``unit`` (rows unless it says otherwise)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "rows")
        return Text("" if not speed else f"{speed:,.0f} {unit}/s", style="cyan")


@contextmanager
def _progress() -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        console=err_console(),
        # piped or redirected: no bars at all (the reports on stdout say what happened)
        disable=not err_console().is_terminal,
    )
    with progress:
        yield progress


class _Bars(Observer):
    """One progress bar per kind of data."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[RecordKind, TaskID] = {}

    def kind_started(self, kind: RecordKind, total: int, done: int, copied: bool) -> None:
        label = kind if copied else f"{kind} (recomputed)"
        self.tasks[kind] = self.progress.add_task(label, total=total, completed=done)

    def batch_loaded(self, kind: RecordKind, records: int) -> None:
        self.progress.advance(self.tasks[kind], records)

    def kind_finished(self, kind: RecordKind) -> None:
        task = self.tasks[kind]
        total = self.progress.tasks[task].total
        self.progress.update(task, completed=total)


# ----------------------------------------------------------------- migrate


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--from",
    "source",
    required=True,
    metavar="SRC",
    help="Where to copy from (read-only): a store URL (sqlite:///path, postgresql+psycopg://..., "
    "mysql+pymysql://...), a .toml configuration, or an SQLite file.",
)
@click.option(
    "--to",
    "destination",
    metavar="DST",
    help="Where to copy to, named like SRC (default: the configured store, see --config/--db).",
)
@click.option(
    "--merge",
    is_flag=True,
    help="Merge into a destination that already holds data (by session UUID and video key).",
)
@_batch_size
def migrate(
    config_path: Path | None,
    db: Path | None,
    source: str,
    destination: str | None,
    merge: bool,
    batch_size: int,
) -> None:
    """Copy everything from one store into another, then verify the copy.

    Resumable: run the same command again after an interruption and it continues where it
    stopped. The source is never modified. Exits 1 when the verification finds a difference.
    """
    config = resolve_config(config_path, db)
    source_config = storage_for(source, config)
    destination_config = config if destination is None else storage_for(destination, config)
    with ExitStack() as stack:
        origin = open_endpoint(source_config, "source")
        stack.callback(origin.close)
        target = open_endpoint(destination_config, "destination")
        stack.callback(target.close)
        try:
            with _progress() as progress:
                result = run_migration(
                    origin, target, merge=merge, batch_size=batch_size, observer=_Bars(progress)
                )
        except KeyboardInterrupt:
            raise click.ClickException(
                "interrupted; run the same command again to continue where it stopped"
            ) from None
        print_migration(result, f"{origin.label} -> {target.label}")
        merged = result.mode == "merge"
        with _progress() as progress:
            tasks: dict[RecordKind, TaskID] = {}

            def tick(kind: RecordKind, done: int) -> None:
                if kind not in tasks:
                    total = origin.store.count_records(kind) * (1 if merged else 2)
                    tasks[kind] = progress.add_task(f"verify {kind}", total=total)
                progress.update(tasks[kind], completed=done)

            verification = verify(
                origin.store,
                target.store,
                merge=merged,
                batch_size=batch_size,
                tick=tick,
            )
    print_verification(verification)
    if not verification.ok:
        failed = ", ".join(c.kind for c in verification.checks if not c.ok)
        raise click.ClickException(f"verification failed: the destination differs in {failed}")


# ----------------------------------------------------------------- import-subminer


@click.command("import-subminer", cls=LearnerCommand)
@store_options
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_batch_size
def import_subminer_command(
    config_path: Path | None, db: Path | None, path: Path, batch_size: int
) -> None:
    """Import a SubMiner immersion.sqlite (read-only) into your store.

    Videos by key, sessions by UUID with their telemetry and events; rollups and totals are
    computed from each session's final counters. Running it again changes nothing.
    """
    config = resolve_config(config_path, db)
    with ExitStack() as stack:
        target = open_endpoint(config, "destination")
        stack.callback(target.close)
        with _progress() as progress:
            task = progress.add_task("sessions", total=None, unit="sessions")

            def tick(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = import_subminer(
                path,
                target.store,
                zone=config.zone(),
                payload_cap_bytes=config.write.payload_cap_bytes,
                batch_size=batch_size,
                tick=tick,
            )
    print_subminer(report, target.label)
    if report.skipped_count:
        for line in report.skipped:
            err_console().print(Text(f"skipped {line}"), soft_wrap=True)
        raise click.ClickException(
            f"{report.skipped_count} SubMiner rows could not be imported (the first are listed "
            "above); everything else was"
        )


# ----------------------------------------------------------------- export / import


@click.command(cls=LearnerCommand)
@store_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one versioned file; csv: one file per kind of data (for spreadsheets).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only sessions (and their data) from this local day on, YYYY-MM-DD.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write into (created if missing; existing files are never replaced).",
)
def export(
    config_path: Path | None, db: Path | None, fmt: str, since: dt.datetime | None, out: Path
) -> None:
    """Write everything your store holds into a documented, versioned file format."""
    config = resolve_config(config_path, db)
    with ExitStack() as stack:
        origin = open_endpoint(config, "source")
        stack.callback(origin.close)
        with _progress() as progress:
            tasks: dict[RecordKind, TaskID] = {}

            def tick(kind: RecordKind, done: int) -> None:
                if kind not in tasks:
                    tasks[kind] = progress.add_task(kind, total=origin.store.count_records(kind))
                progress.update(tasks[kind], completed=done)

            summary = export_store(
                origin.store,
                out,
                fmt="csv" if fmt == "csv" else "jsonl",
                since=None if since is None else since.date(),
                tick=tick,
            )
    total = sum(summary.counts.values())
    console().print(
        f"Exported {format_count(total)} records from {origin.label} to {summary.path} "
        f"in {summary.seconds:.1f} s.",
        soft_wrap=True,
    )


@click.command("import", cls=LearnerCommand)
@store_options
@click.argument("file", type=click.Path(path_type=Path))
@_batch_size
def import_(config_path: Path | None, db: Path | None, file: Path, batch_size: int) -> None:
    """Import an export (a .jsonl file, or a CSV directory) into your store.

    Every record is checked; rejected ones are listed with their line and reason, the rest
    is stored. Exits 1 when anything was rejected.
    """
    config = resolve_config(config_path, db)
    with ExitStack() as stack:
        target = open_endpoint(config, "destination")
        stack.callback(target.close)
        with _progress() as progress:
            tasks: dict[RecordKind, TaskID] = {}

            def tick(kind: RecordKind, done: int) -> None:
                if kind not in tasks:
                    tasks[kind] = progress.add_task(kind, total=None)
                progress.update(tasks[kind], completed=done)

            report = import_path(target.store, file, batch_size=batch_size, tick=tick)
    print_import(report, target.label)
    problems = []
    if report.rejected:
        for rejected in report.rejected[:_MAX_LISTED]:
            err_console().print(
                Text(f"rejected {rejected.where}: {rejected.reason}"), soft_wrap=True
            )
        if len(report.rejected) > _MAX_LISTED:
            err_console().print(f"... and {len(report.rejected) - _MAX_LISTED:,} more")
        problems.append(f"{len(report.rejected):,} records rejected (listed above)")
    if report.truncated:
        problems.append("the file ends without its summary line (cut short?)")
    if problems:
        stored = sum(report.inserted.values())
        raise click.ClickException("; ".join(problems) + f"; {stored:,} valid records were stored")
