"""Alembic, run from code: the schema history of every SQL store.

There is no ``alembic.ini`` in the learner's working directory: the ``Config`` is built here,
its ``script_location`` points into this package, and the migrations run on a connection the
store hands over (``config.attributes["connection"]``), inside the store's own transaction.

``ensure_schema`` is the policy shared by all SQL stores:

- an empty database is created from the revisions and stamped at the head;
- a database at the head is left alone;
- a database at an older revision is backed up (if the store can, e.g. copying a SQLite
  file) and upgraded;
- a database at a revision this code does not know was written by a newer version: it is
  refused with ``SchemaTooNewError`` and not modified.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from ...errors import SchemaError, SchemaTooNewError
from ...results import SchemaStatus
from . import schema

__all__ = [
    "MIGRATIONS_DIR",
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "known_revisions",
    "upgrade",
    "upgrade_sql",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "immersion_schema_version"

# Called with the revision being upgraded from; returns where the backup was written.
BackupHook = Callable[[str], "str | None"]


def _escape(value: str) -> str:
    # Config values go through ConfigParser interpolation: a literal % must be doubled.
    return value.replace("%", "%%")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for this package's migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", _escape(str(MIGRATIONS_DIR)))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision(scripts: ScriptDirectory | None = None) -> str:
    """The newest revision this code knows (the history is linear: one head)."""
    head = (scripts or _scripts()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a baseline
        raise SchemaError("no migration revisions are installed")
    return head


def known_revisions(scripts: ScriptDirectory | None = None) -> set[str]:
    return {script.revision for script in (scripts or _scripts()).walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the database, or ``None`` when it has none."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    heads = context.get_current_heads()
    if len(heads) > 1:
        raise SchemaError(f"the database carries several schema revisions: {', '.join(heads)}")
    return heads[0] if heads else None


def upgrade(connection: Connection, target: str = "head") -> None:
    """Run the revisions up to ``target`` on ``connection`` (inside its transaction)."""
    command.upgrade(alembic_config(connection), target)


def upgrade_sql(dialect: str, target: str = "head", start: str | None = None) -> str:
    """The SQL script that upgrades a ``dialect`` database (``"postgresql"``, ``"mysql"``,
    ``"sqlite"``) from ``start`` (empty: from nothing) to ``target``, for administrators who
    apply schema changes by hand. No database or driver is needed."""
    buffer = io.StringIO()
    config = alembic_config()
    config.output_buffer = buffer
    config.set_main_option("sqlalchemy.url", f"{dialect}://")
    command.upgrade(config, target if start is None else f"{start}:{target}", sql=True)
    return buffer.getvalue()


def ensure_schema(
    connection: Connection,
    *,
    database: str,
    read_only: bool = False,
    backup: BackupHook | None = None,
) -> SchemaStatus:
    """Apply the schema policy of the module docstring on ``connection``.

    ``connection`` must already be inside the transaction that will commit the change (a
    write transaction that serializes concurrent callers); on an error the caller rolls it
    back, so a refused database is never modified. ``database`` names it in messages.
    """
    scripts = _scripts()
    head = head_revision(scripts)
    current = current_revision(connection)
    if current is not None and current not in known_revisions(scripts):
        raise SchemaTooNewError(
            f"{database} has schema revision {current!r}, which this version of "
            f"immersion-tracker does not know (the newest it knows is {head!r}): the database "
            "was written by a newer version; upgrade immersion-tracker to use it"
        )
    if current == head:
        return SchemaStatus(current_revision=head, head_revision=head)
    if current is None:
        existing = set(inspect(connection).get_table_names()) & set(schema.metadata.tables)
        if existing:
            raise SchemaError(
                f"{database} has immersion tables ({', '.join(sorted(existing))}) but no "
                "schema revision; it was not created by immersion-tracker's migrations"
            )
    if read_only:
        state = "has no immersion schema" if current is None else f"is at revision {current!r}"
        raise SchemaError(
            f"{database} {state} and needs revision {head!r}, but it is opened read-only; "
            "open it once read-write to create or upgrade the schema"
        )
    backup_path = backup(current) if current is not None and backup is not None else None
    upgrade(connection, "head")
    return SchemaStatus(
        current_revision=head,
        head_revision=head,
        upgraded_from=current,
        backup_path=backup_path,
    )
