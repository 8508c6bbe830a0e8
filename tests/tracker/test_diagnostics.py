"""Redaction of secrets and collapsing of repeated log messages."""

from __future__ import annotations

import logging

import pytest

from immersion.config import load_config
from immersion.diagnostics import Diagnostics, RepeatCollapser, config_secrets, redact


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "could not connect to postgresql://tracker:hunter2@db.example:5432/imm",
            "could not connect to postgresql://tracker:***@db.example:5432/imm",
        ),
        ("GET /Videos/1?api_key=abc123&Static=true", "GET /Videos/1?api_key=***&Static=true"),
        ("password='s3cret' host=db", "password='***' host=db"),
        ("Authorization: Bearer eyJhbGciOi", "Authorization: ***"),
        ("X-Emby-Token=abcdef", "X-Emby-Token=***"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact(message: str, expected: str) -> None:
    assert redact(message) == expected


def test_redact_known_secrets_anywhere() -> None:
    assert redact("login failed for pa55word!", ["pa55word!"]) == "login failed for ***"


def test_config_secrets() -> None:
    config = load_config(
        {
            "storage": {
                "provider": "postgresql",
                "url": "postgresql://u:urlpass@h/db",
                "password": "p",
            }
        }
    )
    assert set(config_secrets(config)) == {"urlpass", "p"}


def test_repeats_are_collapsed(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    collapser = RepeatCollapser(summary_interval_s=60, monotonic=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="immersion"):
        for _ in range(5):
            collapser.warning("database is locked")
        collapser.error("something else")
        collapser.error("something else")
        now[0] = 61.0
        collapser.error("something else")  # a minute later: the count is reported
        collapser.flush()
    assert [r.getMessage() for r in caplog.records] == [
        "database is locked",
        "database is locked (repeated 4 times)",
        "something else",
        "something else (repeated 2 times)",
    ]
    assert all(r.name == "immersion" for r in caplog.records)


def test_diagnostics_is_a_frozen_value() -> None:
    diagnostics = Diagnostics()
    with pytest.raises(AttributeError):
        diagnostics.dropped = 1  # type: ignore[misc]
    assert diagnostics.dropped_by == {}
    with pytest.raises(TypeError):
        diagnostics.dropped_by["x"] = 1  # type: ignore[index]
