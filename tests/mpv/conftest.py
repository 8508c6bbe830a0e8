from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from immersion import Tracker, open_tracker
from immersion.testing import ManualClock
from tests.mpv.fake_mpv import FakeMpv

# 2026-01-01T00:00:00Z
START_MS = 1_767_225_600_000
MEMORY: dict[str, Any] = {"storage": {"provider": "memory"}, "timezone": "UTC"}


@pytest.fixture(autouse=True)
def no_thread_escapes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if any exception escapes a background thread (the reader's promise)."""
    escaped: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    yield
    assert not escaped, [f"{a.thread}: {a.exc_type.__name__}: {a.exc_value}" for a in escaped]


@pytest.fixture
def socket_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory for Unix sockets: ``tmp_path`` unless its path is too long for one."""
    if len(str(tmp_path / "mpv.sock")) < 100:
        yield tmp_path
        return
    short = Path(tempfile.mkdtemp(prefix="imm-"))
    try:
        yield short
    finally:
        shutil.rmtree(short, ignore_errors=True)


@pytest.fixture
def fake_mpv(socket_dir: Path) -> Iterator[FakeMpv]:
    server = FakeMpv(socket_dir / "mpv.sock")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture
def tracker(clock: ManualClock) -> Iterator[Tracker]:
    """A tracker on a MemoryStore, timed by ``clock``."""
    opened = open_tracker(MEMORY, clock=clock)
    try:
        yield opened
    finally:
        opened.close(5)
