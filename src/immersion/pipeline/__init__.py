"""The non-blocking write pipeline: a bounded queue drained by one worker thread."""

from __future__ import annotations

from .queue import DROP_CLOSE_TIMEOUT, DROP_CLOSED, DROP_QUEUE_FULL, OverflowPolicy, WriteQueue
from .worker import DEFAULT_TIMEOUT_S, DeadLetter, WritePipeline

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DROP_CLOSED",
    "DROP_CLOSE_TIMEOUT",
    "DROP_QUEUE_FULL",
    "DeadLetter",
    "OverflowPolicy",
    "WritePipeline",
    "WriteQueue",
]
