"""What the recording side reports about itself, since it never raises.

- ``Diagnostics``: a frozen snapshot returned by ``Tracker.diagnostics()``.
- ``redact``: removes passwords, tokens and keys from an error message before it is kept or
  logged (driver messages can echo connection URLs).
- ``RepeatCollapser``: logs through the ``immersion`` logger, turning a run of identical
  messages into the first one plus ``"<message> (repeated N times)"``, so a dead database
  does not flood the log.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from .config import TrackerConfig

__all__ = ["LOGGER_NAME", "Diagnostics", "RepeatCollapser", "config_secrets", "redact"]

LOGGER_NAME = "immersion"


def _no_counts() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """A snapshot of the recording pipeline's health.

    Counts are totals since the tracker opened. ``dropped`` is every write the pipeline gave
    up without storing it (overflow, still pending when ``close`` timed out, or submitted
    after the worker stopped): by reason in ``dropped_by`` (``"queue_full"``,
    ``"close_timeout"``, ``"closed"``) and by write kind in
    ``dropped_by_kind`` (``"RecordEvent"``, ``"RecordSample"``, ...). ``dead_lettered``
    writes were refused by the store as permanently invalid and isolated from their batch.
    ``flush_failures`` counts failed batch writes, ``retries`` the transient ones retried.
    ``last_error`` is the latest failure message with secrets redacted. ``bad_input`` counts
    ``record_*`` arguments ignored as invalid (NaN, negative, wrong type, ...).
    ``fallback_active`` is true when the configured store could not be opened at start-up and
    the tracker records into the embedded SQLite store instead; ``fallback_reason`` says why.
    ``outbox_depth`` writes wait in the durable outbox for an unreachable store (at most
    ``outbox_peak`` at once so far); ``outbox_spilled`` went into it and ``outbox_replayed``
    came out into the store. A write dropped by the outbox's own cap is counted in ``dropped``
    under ``"outbox_full"``.
    """

    queue_depth: int = 0
    enqueued: int = 0
    written: int = 0
    dropped: int = 0
    dropped_by: Mapping[str, int] = field(default_factory=_no_counts)
    dropped_by_kind: Mapping[str, int] = field(default_factory=_no_counts)
    dead_lettered: int = 0
    flush_failures: int = 0
    retries: int = 0
    batches_written: int = 0
    last_flush_latency_ms: float | None = None
    last_error: str | None = None
    bad_input: int = 0
    internal_errors: int = 0
    worker_alive: bool = False
    fallback_active: bool = False
    fallback_reason: str | None = None
    outbox_depth: int = 0
    outbox_peak: int = 0
    outbox_spilled: int = 0
    outbox_replayed: int = 0


_REDACTED = "***"
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):[^@\s]*@"
)
_KEY_VALUE = re.compile(
    r"(?i)(?P<key>\b(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"auth|authorization|x-emby-token|x-plex-token)\b\s*[=:]\s*)"
    r"(?P<quote>['\"]?)(?:bearer\s+|basic\s+)?[^\s'\"&,;)}\]]+"
)


def redact(message: str, secrets: Iterable[str] = ()) -> str:
    """``message`` with URL passwords, ``key=value`` secrets and the given ``secrets``
    replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            message = message.replace(secret, _REDACTED)
    message = _URL_CREDENTIALS.sub(rf"\g<scheme>\g<user>:{_REDACTED}@", message)
    return _KEY_VALUE.sub(rf"\g<key>\g<quote>{_REDACTED}", message)


def config_secrets(config: TrackerConfig) -> list[str]:
    """The connection secrets of ``config``, to scrub from any message we keep or log."""
    storage = config.storage
    found: list[str] = []
    if storage.password is not None:
        found.append(storage.password.get_secret_value())
    if storage.url is not None:
        try:
            password = urlsplit(storage.url.get_secret_value()).password
        except ValueError:
            password = None
        if password:
            found.append(password)
    return found


class RepeatCollapser:
    """Log messages, collapsing runs of the same (level, message).

    The first message of a run is logged at once; repeats are counted and reported as one
    ``"<message> (repeated N times)"`` line when a different message arrives, when
    ``summary_interval_s`` has passed since the run's last report, or on ``flush()``.
    Thread-safe.
    """

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        summary_interval_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger or logging.getLogger(LOGGER_NAME)
        self._interval = summary_interval_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: tuple[int, str] | None = None
        self._repeats = 0
        self._reported_at = 0.0

    def log(self, level: int, message: str) -> None:
        """Log ``message`` at ``level`` unless it repeats the previous one."""
        with self._lock:
            now = self._monotonic()
            if self._last == (level, message):
                self._repeats += 1
                if now - self._reported_at >= self._interval:
                    self._emit_repeats()
                    self._reported_at = now
                return
            self._emit_repeats()
            self._last = (level, message)
            self._reported_at = now
            self._logger.log(level, "%s", message)

    def warning(self, message: str) -> None:
        self.log(logging.WARNING, message)

    def error(self, message: str) -> None:
        self.log(logging.ERROR, message)

    def flush(self) -> None:
        """Report a pending run of repeats now."""
        with self._lock:
            self._emit_repeats()
            self._last = None

    def _emit_repeats(self) -> None:
        if self._last is not None and self._repeats:
            level, message = self._last
            self._logger.log(level, "%s (repeated %d times)", message, self._repeats)
        self._repeats = 0
