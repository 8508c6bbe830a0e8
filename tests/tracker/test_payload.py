"""Payload cap, text sanitizing, word and token counts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immersion.payload import count_tokens, encode_payload, sanitize_text, truncation_marker


def test_small_payloads_are_compact_json() -> None:
    assert encode_payload({"text": "日本語", "words": 1}, 256) == '{"text":"日本語","words":1}'


def test_a_text_payload_over_the_cap_keeps_a_prefix_and_the_marker() -> None:
    text = "第一話" * 100  # 900 bytes of UTF-8
    encoded = encode_payload({"text": text, "words": 1}, 256)
    assert len(encoded.encode("utf-8")) <= 256
    decoded = json.loads(encoded)
    assert decoded["truncated"] is True
    assert decoded["bytes"] == len(
        json.dumps({"text": text, "words": 1}, ensure_ascii=False, separators=(",", ":")).encode()
    )
    assert text.startswith(decoded["text"]) and decoded["text"]
    assert decoded["words"] == 1


def test_other_payloads_over_the_cap_become_the_marker() -> None:
    payload = {"cardsMined": 50, "noteIds": list(range(10**12, 10**12 + 50))}
    encoded = encode_payload(payload, 256)
    size = len(json.dumps(payload, separators=(",", ":")))
    assert encoded == truncation_marker(size) == f'{{"truncated":true,"bytes":{size}}}'


@given(st.text(min_size=0, max_size=400), st.integers(min_value=64, max_value=512))
def test_the_cap_is_never_exceeded_and_never_splits_utf8(text: str, cap: int) -> None:
    clean = sanitize_text(text)
    encoded = encode_payload({"text": clean, "words": 3}, cap)
    raw = encoded.encode("utf-8")  # would raise on a split character
    assert len(raw) <= cap
    decoded = json.loads(raw.decode("utf-8", errors="strict"))
    if "text" in decoded:
        assert clean.startswith(decoded["text"])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain", "plain"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("pair \ud83d\ude00 joined", "pair 😀 joined"),
        ("nul\x00byte", "nul\ufffdbyte"),
        ("\udcff", "\ufffd"),
    ],
)
def test_sanitize_text(raw: str, clean: str) -> None:
    assert sanitize_text(raw) == clean
    sanitize_text(raw).encode("utf-8")


def test_clean_text_is_returned_as_is() -> None:
    text = "already clean テキスト"
    assert sanitize_text(text) is text


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("one two three", 3), ("今日は", 3), ("ｶﾀｶﾅ", 4), ("漢字 and かな", 4), ("", 0)],
)
def test_count_tokens(text: str, tokens: int) -> None:
    assert count_tokens(text) == tokens
