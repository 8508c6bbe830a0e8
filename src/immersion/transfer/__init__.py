"""Moving data safely: between stores, out of SubMiner, and in and out of files.

- ``endpoints``: a store named by a URL, a config file or an SQLite path, opened read-only
  as a source or with its schema created as a destination;
- ``loading``: how records are loaded into a destination, as an exact copy into an empty
  store or merged into one that already holds data (rollups then recomputed);
- ``migrate``: ``immersion migrate``, resumable through checkpoints in the destination;
- ``verify``: per-kind counts and order-independent checksums, source against destination;
- ``codec`` / ``decoding``: records as flat rows and back (the export format, and the
  checksums' canonical form);
- ``export`` / ``importer``: the versioned JSON Lines format and CSV files;
- ``subminer``: reading a SubMiner ``immersion.sqlite``, and ``subminer_import`` turning it
  into our writes.

Every failure a learner can cause is a ``TransferError`` with a one-line message.
"""

from __future__ import annotations

from ..errors import ImmersionError

__all__ = ["TransferError"]


class TransferError(ImmersionError):
    """A migration, import or export cannot go on; the message says why and what to do."""
