"""Payload cap, text sanitizing, word and token counts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immersion.payload import (
    clean_line,
    count_cjk,
    count_tokens,
    encode_payload,
    sanitize_text,
    truncation_marker,
)


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


# Every kind of character the counting shortcuts tell apart: ASCII (NUL too), the CJK ranges
# and their neighbours, other BMP text, lone surrogates, astral CJK and emoji.
_LINE_CHARS = st.one_of(
    st.characters(max_codepoint=0x7F),
    st.characters(min_codepoint=0x2FF0, max_codepoint=0x3120),
    st.characters(min_codepoint=0x4DB0, max_codepoint=0x4E10),
    st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010),
    st.characters(min_codepoint=0xFF00, max_codepoint=0xFFFF),
    st.sampled_from(["\u00e9", "\u3000", "\u2028", "\U00020000", "\U0003134f", "\U0001f600"]),
)


def _count_cjk_by_runs(text: str) -> int:
    from immersion.payload import _NOT_CJK_RUNS

    return len(text) - sum(map(len, _NOT_CJK_RUNS.findall(text)))


@given(st.text(_LINE_CHARS, max_size=30))
def test_the_cjk_count_shortcut_counts_as_the_general_rule(text: str) -> None:
    assert count_cjk(text) == _count_cjk_by_runs(text)


@given(st.text(_LINE_CHARS, max_size=30))
def test_clean_line_is_sanitize_then_count(text: str) -> None:
    words = text.split()
    if not words:
        return
    expected = sanitize_text(" ".join(words))
    assert clean_line(words) == (expected, count_tokens(expected, len(words)))
