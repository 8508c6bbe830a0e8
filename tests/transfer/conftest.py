"""Fixtures of the transfer tests: an isolated home for the command line, and one filled
SQLite source per module (built once: generating the history is the slow part)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.transfer.helpers import fill, isolated_environment, sqlite_store


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Nothing reads or writes the real user's configuration or data."""
    home = tmp_path / "home"
    for name, value in isolated_environment(home).items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)
    for name in list(os.environ):
        if name.startswith("IMMERSION_") and not name.startswith("IMMERSION_TEST_"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(scope="module")
def filled_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database holding ``helpers.fill``'s history (do not modify: copy it)."""
    path = tmp_path_factory.mktemp("source") / "source.sqlite"
    store = sqlite_store(path)
    try:
        fill(store)
    finally:
        store.close()
    return path


@pytest.fixture
def source_sqlite(filled_sqlite: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the filled SQLite database."""
    path = tmp_path / "source.sqlite"
    shutil.copyfile(filled_sqlite, path)
    yield path
