"""Fixtures of the command-line tests: an isolated home, a runner, and a demo database.

Every test runs with ``HOME`` and the XDG directories in its own temporary directory and
without ``IMMERSION_*`` settings from the environment, so nothing reads or writes the real
user's configuration or data. The demo database is recorded once per module by
``immersion demo --db PATH`` (the real tracker on a ``ManualClock``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from immersion.cli import main

_HOME_VARIABLES = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point every per-user directory into ``home`` and drop ``IMMERSION_*`` settings."""
    for name in _HOME_VARIABLES:
        target = home if name == "HOME" else home / name.lower()
        monkeypatch.setenv(name, str(target))
    for name in list(os.environ):
        if name.startswith("IMMERSION_") and not name.startswith("IMMERSION_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    isolate(monkeypatch, home)
    return home


def invoke(*args: str | os.PathLike[str]) -> Result:
    """Run ``immersion ARGS...`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, [str(arg) for arg in args], prog_name="immersion")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SQLite database filled by ``immersion demo --db PATH`` (once per test module)."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, root / "home")
        path = root / "demo.sqlite"
        result = invoke("demo", "--db", path, "--days", "10")
        assert result.exit_code == 0, result.output
    yield path


def one_line_error(result: Result) -> str:
    """Assert ``result`` failed with exactly one line on stderr and nothing on stdout."""
    assert result.exit_code != 0, result.output
    assert result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]
