"""Reading ahead in a background thread while the caller works on what was read.

Why: a transfer alternates between reading the source and writing the destination, and
both mostly wait (on SQLite's page reads, on a server's answer), which Python does without
holding the GIL. Reading the next batch while the current one is written overlaps those
waits. Stores allow reads from any thread (``immersion.store``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["prefetched"]

T = TypeVar("T")


class _Failed(Generic[T]):
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield what ``items`` yields, produced by a background thread up to ``depth`` items
    ahead. An exception of ``items`` is raised here, in order; closing the returned
    generator early stops the thread after the item it is producing."""
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                slots.put(item)
            slots.put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put(_Failed(exc))

    worker = threading.Thread(target=produce, name="immersion-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting for room, then let it end
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        worker.join()
