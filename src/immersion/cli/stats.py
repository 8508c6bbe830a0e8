"""``immersion stats``: the overview and latest sessions from the configured store."""

from __future__ import annotations

from pathlib import Path

import click

from .options import open_store, resolve_config, store_options
from .render import print_overview, print_sessions

__all__ = ["stats"]


@click.command()
@store_options
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
def stats(config_path: Path | None, db: Path | None, limit: int) -> None:
    """Show the overview and the latest sessions of the configured store."""
    store = open_store(resolve_config(config_path, db))
    try:
        print_overview(store.overview())
        print_sessions(store.session_summaries(limit=limit))
    finally:
        store.close()
