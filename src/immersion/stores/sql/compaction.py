"""When compaction rewrites a table or a file: the rule shared by the SQL stores.

A rewrite (SQLite ``VACUUM``, InnoDB's ``OPTIMIZE TABLE``) copies everything: 2.4 s for the
139 MB SQLite file of a 1M-event store, 11 s for the 1.3 GB of 10M events, 4 s for the 290 MB
of MariaDB's tables. Both engines reuse free pages for new rows anyway, so the space a daily
prune frees is filled again by the next days' rows: giving it back to the file system is
worth a rewrite only when it is a large share of the database (a retention window shortened,
a big import undone), never for the day or so a pass prunes.
"""

from __future__ import annotations

__all__ = ["REBUILD_MIN_FREE_BYTES", "REBUILD_MIN_FREE_SHARE", "worth_rebuilding"]

# Rewrite only when the free space is at least this share of what the rows and indexes take,
# and at least this many bytes.
REBUILD_MIN_FREE_SHARE = 0.25
REBUILD_MIN_FREE_BYTES = 16 * 2**20


def worth_rebuilding(used_bytes: int, free_bytes: int) -> bool:
    """Whether compaction rewrites a table (or file) of ``used_bytes`` in use with
    ``free_bytes`` free: more than ``REBUILD_MIN_FREE_SHARE`` of the used, and at least
    ``REBUILD_MIN_FREE_BYTES``."""
    return free_bytes >= REBUILD_MIN_FREE_BYTES and free_bytes > REBUILD_MIN_FREE_SHARE * used_bytes
