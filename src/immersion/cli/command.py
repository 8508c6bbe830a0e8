"""What the learner commands share: one-line usage errors, ``--json`` and today's local day.

``LearnerCommand`` makes a usage error (a bad ``--range``, a missing ``--config`` file) one
line on stderr with exit code 2, like every other error of the command line, instead of
click's usage block. ``--json`` prints exactly one JSON document on stdout: result dataclasses
are serialized generically (field names as the store returns them, dates as ISO strings, enums
as their integer values), so a script reads the same names as Python code does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from ..config import TrackerConfig
from ..localtime import local_today
from ..store import ImmersionTrackingStore
from .options import open_store

__all__ = [
    "LearnerCommand",
    "echo_json",
    "json_option",
    "opened_store",
    "to_jsonable",
    "today_in",
]

F = TypeVar("F", bound=Callable[..., Any])


class _OneLineUsageError(click.UsageError):
    """A usage error shown as ``Error: <what> (see '<command> --help')`` on one line."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.ClickException.show(self, file)

    def format_message(self) -> str:
        if self.ctx is None:
            return self.message
        return f"{self.message} (see '{self.ctx.command_path} --help')"


class LearnerCommand(click.Command):
    """A ``click.Command`` whose usage errors are one line (exit code 2 as usual)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except _OneLineUsageError:
            raise
        except click.UsageError as exc:
            raise _OneLineUsageError(exc.format_message(), ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        # BadParameter raised by the command itself (e.g. --config naming no file).
        try:
            return super().invoke(ctx)
        except _OneLineUsageError:
            raise
        except click.UsageError as exc:
            raise _OneLineUsageError(exc.format_message(), ctx) from None


def json_option(function: F) -> F:
    """The ``--json`` flag, passed to the command as ``as_json``."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON document on stdout instead of tables.",
    )(function)


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy of ``value``: dataclasses become objects of their fields, dates ISO
    strings, enums their integer values, paths strings, mappings and sequences recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return int(value.value) if isinstance(value.value, int) else value.value
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot serialize {type(value).__name__} as JSON")


def echo_json(value: Any) -> None:
    """Print ``value`` as one JSON document on stdout (UTF-8, not ASCII-escaped)."""
    click.echo(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def today_in(config: TrackerConfig) -> dt.date:
    """Today in the configured zone: the day the tracker stamps on sessions started now."""
    return local_today(config.zone())


@contextmanager
def opened_store(config: TrackerConfig) -> Iterator[ImmersionTrackingStore]:
    """The configured store (schema created or upgraded), closed when the block ends."""
    store = open_store(config)
    try:
        yield store
    finally:
        store.close()
