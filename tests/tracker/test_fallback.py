"""Start-up validation and fallback: a host app goes on when its server is away (or says
clearly why not), and secrets never leak while saying so."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from immersion import open_tracker
from immersion.errors import ConfigError, MissingDriverError, UnknownProviderError

SECRET = "s3cr3t-Pa55"
# Nothing listens on port 1: the connection is refused at once.
DEAD_URL = f"postgresql+psycopg://learner:{SECRET}@127.0.0.1:1/immersion"


def _config(tmp_path: Path, **storage: Any) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "storage": {"path": str(tmp_path / "fallback.sqlite"), "connect_timeout_s": 2, **storage},
    }


def test_an_unreachable_server_falls_back_to_sqlite_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = _config(tmp_path, provider="postgresql", url=DEAD_URL)
    with open_tracker(config) as tracker:
        diagnostics = tracker.diagnostics()
        assert diagnostics.fallback_active is True
        assert diagnostics.fallback_reason is not None
        assert "postgresql store unavailable" in diagnostics.fallback_reason
        assert "embedded SQLite" in diagnostics.fallback_reason
        tracker.handle_media_change("/anime/ep01.mkv")
        tracker.record_subtitle_line("こんにちは", 1.0, 2.0)
        assert tracker.flush(10) is True
        assert tracker.store.session_summaries()[0].lines_seen == 1
        assert SECRET not in repr(diagnostics) and SECRET not in repr(tracker.store)
    assert (tmp_path / "fallback.sqlite").exists()
    assert SECRET not in caplog.text


def test_without_fallback_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    config = _config(tmp_path, provider="postgresql", url=DEAD_URL, fallback="none")
    with pytest.raises(ConfigError) as raised:
        open_tracker(config)
    message = str(raised.value)
    assert "postgresql store unavailable" in message
    assert "127.0.0.1:1" in message
    assert SECRET not in message and SECRET not in repr(raised.value)
    assert raised.value.__cause__ is None  # one error, no chained driver traceback
    assert not (tmp_path / "fallback.sqlite").exists()


def test_refused_credentials_fall_back_too(tmp_path: Path) -> None:
    # A user that does not exist on the separate-fields path (password given as a field).
    config = _config(
        tmp_path,
        provider="postgresql",
        host="127.0.0.1",
        port=1,
        user="nobody",
        password=SECRET,
        database="nowhere",
    )
    with open_tracker(config) as tracker:
        assert tracker.diagnostics().fallback_active
        assert SECRET not in (tracker.diagnostics().fallback_reason or "")


def test_an_unknown_provider_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownProviderError) as raised:
        open_tracker(_config(tmp_path, provider="mongodb"))
    message = str(raised.value)
    assert "'mongodb'" in message
    for known in ("sqlite", "memory", "postgresql", "mysql"):
        assert known in message


@pytest.mark.parametrize(
    ("provider", "module", "extra"),
    [("postgresql", "psycopg", "postgresql"), ("mysql", "pymysql", "mysql")],
)
def test_a_missing_driver_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str, module: str, extra: str
) -> None:
    # A None entry in sys.modules makes "import module" raise ImportError.
    monkeypatch.setitem(sys.modules, module, None)
    url = DEAD_URL if provider == "postgresql" else f"mysql+pymysql://me:{SECRET}@127.0.0.1:1/x"
    with pytest.raises(ConfigError) as raised:
        open_tracker(_config(tmp_path, provider=provider, url=url, fallback="none"))
    assert f'pip install "immersion-tracker[{extra}]"' in str(raised.value)

    with open_tracker(_config(tmp_path, provider=provider, url=url)) as tracker:
        reason = tracker.diagnostics().fallback_reason or ""
        assert f"immersion-tracker[{extra}]" in reason


def test_missing_driver_error_is_a_config_error() -> None:
    assert issubclass(MissingDriverError, ConfigError)
