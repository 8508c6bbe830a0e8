"""Alembic environment of the SQL stores.

Online, migrations run on the connection ``immersion.stores.sql.migrate`` hands over, inside
the store's transaction. Offline (``alembic upgrade --sql``), they print the SQL for the
dialect of ``sqlalchemy.url``, for administrators who apply schema changes by hand.
"""

from __future__ import annotations

from alembic import context

from immersion.stores.sql.migrate import VERSION_TABLE
from immersion.stores.sql.schema import metadata


def _run() -> None:
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "immersion migrations run through immersion.stores.sql.migrate, "
            "which passes a connection"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite alters tables by copying them; later revisions use batch_alter_table.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
