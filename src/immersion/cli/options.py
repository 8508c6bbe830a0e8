"""Options shared by every command: ``--config PATH`` and ``--db PATH``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..composition import open_store
from ..config import StorageConfig, TrackerConfig, load_config

__all__ = ["open_store", "resolve_config", "store_options"]

F = TypeVar("F", bound=Callable[..., Any])


def store_options(function: F) -> F:
    function = click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Use this embedded SQLite database file (overrides the configured store).",
    )(function)
    function = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read configuration from this TOML file instead of the default one.",
    )(function)
    return function


def resolve_config(
    config_path: Path | None, db: Path | None, *, default_db: Path | None = None
) -> TrackerConfig:
    """The configuration in effect: the file (or defaults + environment), then ``--db``.

    ``default_db`` is used when neither ``--db`` nor ``--config`` is given (the demo's own
    database, so it never writes into the learner's real one by accident).
    """
    if config_path is not None and not config_path.exists():
        raise click.BadParameter(f"{config_path} does not exist", param_hint="--config")
    config = load_config(config_path)
    path = db if db is not None else (default_db if config_path is None else None)
    if path is None:
        return config
    storage = StorageConfig(provider="sqlite", path=path, fallback=config.storage.fallback)
    return config.model_copy(update={"storage": storage})
