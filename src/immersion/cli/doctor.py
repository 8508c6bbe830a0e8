"""``immersion doctor``: what is configured, and whether the store answers.

Everything here only reads: the schema is inspected, never created or upgraded, and an
embedded database that does not exist yet is reported as such instead of being created.
Secrets (``storage.password``, ``storage.url`` and secret-looking ``storage.options``) are
shown as ``***``, and every message is scrubbed of them as well.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
import zoneinfo
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from ..composition import outbox_path
from ..config import TrackerConfig, default_config_path
from ..diagnostics import config_secrets, redact
from ..errors import ImmersionError
from ..maintenance import LAST_COMPACTION_KEY, LAST_MAINTENANCE_KEY
from ..results import SchemaStatus, StoreCapabilities
from ..store import ImmersionTrackingStore
from ..stores.registry import create_store
from .command import LearnerCommand, echo_json, json_option
from .options import resolve_config, store_options
from .render import console, format_time, new_table

__all__ = ["doctor", "masked_config"]

MASK = "***"
_SECRET_STORAGE_FIELDS = ("password", "url")
_SECRET_OPTION = re.compile(r"(?i)pass|secret|token|key|credential")


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """``ok``: the store answered (``None``: nothing to connect to yet); ``ms``: how long
    opening it and reading its schema revision took."""

    ok: bool | None
    ms: float | None
    error: str | None


@dataclass(frozen=True, slots=True)
class OutboxCheck:
    enabled: bool
    path: str | None
    depth: int | None  # writes waiting; None when the file cannot be read
    error: str | None


@dataclass(frozen=True, slots=True)
class DoctorReport:
    """The ``--json`` document of ``immersion doctor``."""

    config_file: str | None  # the TOML file read; None: defaults and environment only
    config: dict[str, Any]  # in effect, secrets masked
    provider: str
    store: str | None  # how the store names itself (never with a password)
    connection: ConnectionCheck
    schema: SchemaStatus | None
    schema_up_to_date: bool | None
    capabilities: StoreCapabilities | None
    outbox: OutboxCheck | None
    last_maintenance_ms: int | None
    last_maintenance: str | None  # local time, ISO 8601
    last_compaction_ms: int | None
    last_compaction: str | None
    size_bytes: int | None


def masked_config(config: TrackerConfig) -> dict[str, Any]:
    """The configuration as plain data with its secrets replaced by ``***``."""
    data = config.model_dump(mode="json")
    storage = data["storage"]
    for name in _SECRET_STORAGE_FIELDS:
        if getattr(config.storage, name) is not None:
            storage[name] = MASK
    storage["options"] = {
        key: MASK if _SECRET_OPTION.search(key) else value
        for key, value in storage["options"].items()
    }
    return data


@click.command(cls=LearnerCommand)
@store_options
@json_option
def doctor(config_path: Path | None, db: Path | None, as_json: bool) -> None:
    """Check the setup and whether the store answers.

    Shows the configuration in effect (secrets masked), the store's connection, schema
    revision, outbox, last maintenance and compaction, and database size. Only reads: never
    creates or upgrades anything. Exits with 1 when the store cannot be reached.
    """
    config = resolve_config(config_path, db)
    if config_path is not None:
        config_file: str | None = str(config_path)
    else:
        default = default_config_path()
        config_file = str(default) if default.exists() else None
    report = _examine(config, config_file)
    if as_json:
        echo_json(report)
    else:
        _print_report(report, config.zone())
    if report.connection.ok is False:
        raise click.ClickException(f"the store cannot be used: {report.connection.error}")


def _examine(config: TrackerConfig, config_file: str | None) -> DoctorReport:
    secrets = config_secrets(config)
    provider = config.storage.provider
    report = DoctorReport(
        config_file=config_file,
        config=masked_config(config),
        provider=provider,
        store=None,
        connection=ConnectionCheck(ok=None, ms=None, error=None),
        schema=None,
        schema_up_to_date=None,
        capabilities=None,
        outbox=None,
        last_maintenance_ms=None,
        last_maintenance=None,
        last_compaction_ms=None,
        last_compaction=None,
        size_bytes=None,
    )
    if provider == "sqlite" and not config.storage.sqlite_path().exists():
        # Connecting would create an empty database; the first recording does that.
        missing = f"{config.storage.sqlite_path()} does not exist yet (created on first use)"
        return replace(report, connection=ConnectionCheck(ok=None, ms=None, error=missing))
    try:
        store = create_store(config)  # imports the driver: not part of the timing
    except ImmersionError as exc:
        return replace(report, connection=_failed(exc, None, secrets))
    try:
        started = time.perf_counter()
        try:
            status = store.schema_status()
        except Exception as exc:  # a plugin store may fail any way: report it, never crash
            return replace(
                report, store=_store_name(store), connection=_failed(exc, started, secrets)
            )
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        up_to_date = status.current_revision == status.head_revision
        zone = config.zone()
        maintenance_ms = _state_ms(store, LAST_MAINTENANCE_KEY, status)
        compaction_ms = _state_ms(store, LAST_COMPACTION_KEY, status)
        return replace(
            report,
            store=_store_name(store),
            connection=ConnectionCheck(ok=True, ms=elapsed, error=None),
            schema=status,
            schema_up_to_date=up_to_date,
            capabilities=store.capabilities,
            outbox=_outbox(config, store),
            last_maintenance_ms=maintenance_ms,
            last_maintenance=_iso_local(maintenance_ms, zone),
            last_compaction_ms=compaction_ms,
            last_compaction=_iso_local(compaction_ms, zone),
            size_bytes=_size(store),
        )
    finally:
        store.close()


def _store_name(store: ImmersionTrackingStore) -> str:
    """How the store names itself (SQL stores: their file or URL without password)."""
    shown = repr(store)
    return type(store).__name__ if " object at 0x" in shown else shown


def _failed(exc: Exception, started: float | None, secrets: list[str]) -> ConnectionCheck:
    """A failed check with its reason on one line, secrets scrubbed."""
    reason = redact(" ".join(str(exc).split()) or type(exc).__name__, secrets)
    elapsed = None if started is None else round((time.perf_counter() - started) * 1000, 1)
    return ConnectionCheck(ok=False, ms=elapsed, error=reason)


def _state_ms(store: ImmersionTrackingStore, key: str, status: SchemaStatus) -> int | None:
    if status.current_revision is None:
        return None  # an empty database has no state table yet
    try:
        value = store.get_state(key)
        return int(value) if value is not None else None
    except (ImmersionError, ValueError):
        return None


def _size(store: ImmersionTrackingStore) -> int | None:
    try:
        return store.storage_size_bytes()
    except Exception:  # the size is a nicety: a store that cannot tell shows "unknown"
        return None


def _outbox(config: TrackerConfig, store: ImmersionTrackingStore) -> OutboxCheck:
    mode = config.storage.outbox
    enabled = mode == "on" or (mode == "auto" and store.capabilities.networked)
    path = outbox_path(config, store)
    if not path.exists():
        return OutboxCheck(enabled=enabled, path=str(path), depth=0, error=None)
    try:
        # Read-only: the tracker owns the outbox; the doctor never changes it.
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as outbox:
            depth = int(outbox.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    except sqlite3.Error as exc:
        return OutboxCheck(enabled=enabled, path=str(path), depth=None, error=str(exc))
    return OutboxCheck(enabled=enabled, path=str(path), depth=depth, error=None)


def _iso_local(epoch_ms: int | None, zone: zoneinfo.ZoneInfo | None) -> str | None:
    if epoch_ms is None:
        return None
    instant = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return instant.astimezone(zone).isoformat(timespec="seconds")


def _human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, "-" if value is None else str(value)))
    return rows


def _print_report(report: DoctorReport, zone: zoneinfo.ZoneInfo | None) -> None:
    out = console()
    settings = new_table("Configuration in effect", show_header=False)
    settings.add_column("key", style="bold")
    settings.add_column("value", overflow="fold")
    settings.add_row("config file", Text(report.config_file or "none (defaults, environment)"))
    for key, value in _flatten(report.config):
        settings.add_row(key, Text(value))
    out.print(settings)

    table = new_table("Store", show_header=False)
    table.add_column("check", style="bold")
    table.add_column("result", overflow="fold")
    table.add_row("provider", report.provider)
    table.add_row("database", Text(report.store or "-"))
    table.add_row("connection", _connection_text(report.connection))
    if report.schema is not None:
        table.add_row("schema", _schema_text(report.schema, report.schema_up_to_date))
    if report.outbox is not None:
        table.add_row("outbox", _outbox_text(report.outbox))
    if report.connection.ok:
        table.add_row("last maintenance", _when(report.last_maintenance_ms, zone))
        table.add_row("last compaction", _when(report.last_compaction_ms, zone))
        size = report.size_bytes
        table.add_row("database size", _human_bytes(size) if size is not None else "unknown")
    out.print(table)


def _connection_text(check: ConnectionCheck) -> Text:
    if check.ok is None:
        return Text(f"not checked: {check.error}", style="yellow")
    if check.ok:
        return Text(f"ok ({check.ms:,.1f} ms)", style="green")
    return Text(f"FAILED: {check.error}", style="bold red")


def _schema_text(status: SchemaStatus, up_to_date: bool | None) -> Text:
    head = status.head_revision
    if up_to_date:
        return Text(f"{status.current_revision} (head {head}, up to date)", style="green")
    if status.current_revision is None:
        return Text(f"none yet (head {head}); created on first use", style="yellow")
    return Text(
        f"{status.current_revision}, head {head}: an older schema is upgraded (with a backup "
        "where possible) when a command opens it; a newer one is refused",
        style="yellow",
    )


def _outbox_text(check: OutboxCheck) -> Text:
    if check.error is not None:
        return Text(f"unreadable: {check.error} ({check.path})", style="red")
    state = "on" if check.enabled else "off"
    depth = check.depth or 0
    text = f"{state}, {depth:,} write{'' if depth == 1 else 's'} waiting"
    if check.enabled or depth:
        text += f" ({check.path})"
    return Text(text, style="yellow" if depth else "")


def _when(epoch_ms: int | None, zone: zoneinfo.ZoneInfo | None) -> str:
    return "never" if epoch_ms is None else format_time(epoch_ms, zone)
