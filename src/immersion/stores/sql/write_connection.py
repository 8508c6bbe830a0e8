"""``HeldConnection``: the connection ``write_batch`` keeps from one batch to the next.

While a tracker records, batches come back to back (25 writes or 500 ms). Checking a pooled
connection out and in for each one costs more Python than applying a batch of events, and on
a server the pool's pre-ping adds a round trip to every batch. So the store keeps one
connection for its batches, and gives it back to the pool:

- after any failure (the next batch starts on a fresh, pinged connection);
- once it has been idle for ``IDLE_S`` seconds, so the pool's checks (pre-ping, recycling of
  old connections) run again after a pause, before a server's idle timeout can bite;
- when the store closes.

It is used under the store's write lock only, so one thread at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Connection, RootTransaction

__all__ = ["IDLE_S", "HeldConnection"]

IDLE_S = 5.0  # real seconds: a connection's health is a matter of real time


class HeldConnection:
    """Write transactions on one connection from ``connect``, kept while batches keep coming.

    ``with held as connection:`` runs a transaction on it, committed when the block succeeds.
    (A context manager class rather than a generator: this runs for every batch.)
    """

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._idle_since = 0.0

    def __enter__(self) -> Connection:
        connection = self._connection
        if connection is not None and time.monotonic() - self._idle_since >= IDLE_S:
            self.close()
            connection = None
        if connection is None:
            connection = self._connection = self._connect()
        try:
            self._transaction = connection.begin()
        except BaseException:
            self.close()
            raise
        return connection

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        assert transaction is not None
        try:
            if exc_type is None:
                transaction.commit()
                self._idle_since = time.monotonic()
                return
            transaction.rollback()
        except BaseException:
            self.close()  # whatever broke may have broken the connection too
            raise
        self.close()  # the block failed: maybe because of the connection

    def close(self) -> None:
        """Give the connection back to the pool (a new one is taken when needed)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
