"""Text and JSON payload rules shared by the tracker and every store.

- ``sanitize_text``: every string we store is valid Unicode without NUL, so each driver
  (SQLite, PostgreSQL, MySQL) accepts it unchanged.
- ``encode_payload``: compact JSON capped at a byte budget. Over the cap the payload is
  replaced by a truncation marker (``{"truncated": true, "bytes": N}``, N the original size);
  a payload with a ``text`` field keeps as much of the text as fits, cut between characters,
  so nothing is ever cut inside a UTF-8 sequence.
- ``count_words`` / ``count_tokens``: words are whitespace-separated; tokens are the larger of
  the word count and the number of CJK characters (Japanese and Chinese write no spaces).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_TEXT_CHARS",
    "clean_line",
    "count_cjk",
    "count_tokens",
    "count_words",
    "encode_line_payload",
    "encode_payload",
    "sanitize_text",
    "truncation_marker",
]

# Longer subtitle "lines" are cut (between characters) before any other work, so a runaway
# string costs the caller a bounded amount of time. No real subtitle line comes close.
MAX_TEXT_CHARS = 4096

_REPLACEMENT = "\ufffd"
# One encoder, built once: json.dumps(..., ensure_ascii=False) would build a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

# Han ideographs (with extensions A-G and compatibility forms), hiragana, katakana (with
# phonetic extensions and the half-width forms). Hangul is left out: Korean separates words
# with spaces, so its word count already is a fair token count.
_CJK_BMP = (
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
)
_CJK_CLASS = _CJK_BMP + "\U00020000-\U0003134f"
# Counted as the length minus the runs of everything else: fewer matches than one per CJK
# character (a Japanese line is mostly CJK).
_NOT_CJK_RUNS = re.compile(f"[^{_CJK_CLASS}]+")
# Most lines hold nothing but ASCII and CJK characters of the Basic Multilingual Plane: then
# each CJK character is the only one taking 3 bytes in UTF-8 (ASCII: 1), so the count follows
# from the encoded length, with one search and no match objects (a subtitle line is counted
# on the caller's thread).
_NOT_ASCII_OR_BMP_CJK = re.compile(f"[^\x00-\x7f{_CJK_BMP}]")
# The C string encoder of the json module (what _ENCODER.encode calls for a str).
_ENCODE_STRING = json.encoder.encode_basestring


def sanitize_text(text: str) -> str:
    """``text`` with lone surrogates and NUL replaced by U+FFFD.

    A valid surrogate pair (``"\\ud83d\\ude00"``) becomes the character it encodes. The common
    case, already-clean text, returns the same object without copying.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Round-trip through UTF-16: joins valid pairs, replaces lone halves.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "\x00" in text:
        text = text.replace("\x00", _REPLACEMENT)
    return text


def count_words(text: str) -> int:
    """Whitespace-separated words."""
    return len(text.split())


def count_cjk(text: str) -> int:
    """Characters of Chinese and Japanese scripts."""
    if _NOT_ASCII_OR_BMP_CJK.search(text) is None:  # (so no lone surrogate either)
        return (len(text.encode("utf-8")) - len(text)) >> 1
    return len(text) - sum(map(len, _NOT_CJK_RUNS.findall(text)))


def count_tokens(text: str, words: int | None = None) -> int:
    """``max(words, CJK characters)``: a fair token count without a tokenizer."""
    if words is None:
        words = count_words(text)
    if text.isascii():
        return words
    return max(words, count_cjk(text))


def clean_line(words: list[str]) -> tuple[str, int]:
    """The text of a subtitle line's ``words`` (``sanitize_text`` of them joined by spaces)
    and its ``count_tokens``: what the tracker does for every line, on the caller's thread,
    so the common cases take one pass (ASCII; ASCII and BMP CJK, which cannot hold a lone
    surrogate)."""
    text = " ".join(words)
    if text.isascii():
        count = len(words)
    elif _NOT_ASCII_OR_BMP_CJK.search(text) is None:
        # (NUL is ASCII here and U+FFFD, its replacement, no CJK: the count is the same)
        count = max(len(words), (len(text.encode("utf-8")) - len(text)) >> 1)
    else:
        text = sanitize_text(text)
        return text, count_tokens(text, len(words))
    if "\x00" in text:
        text = text.replace("\x00", _REPLACEMENT)
    return text, count


def truncation_marker(original_bytes: int) -> str:
    """The JSON that replaces a payload of ``original_bytes`` bytes that was over the cap."""
    return f'{{"truncated":true,"bytes":{int(original_bytes)}}}'


def _utf8_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8"))


def encode_payload(payload: Mapping[str, Any], cap_bytes: int) -> str:
    """Compact JSON of ``payload``, at most ``cap_bytes`` UTF-8 bytes (see module docstring).

    Strings in ``payload`` must already be sanitized (``sanitize_text``).
    """
    encoded = _ENCODER.encode(payload)
    # len(str) <= UTF-8 length <= 4 * len(str): most payloads are decided without encoding.
    if len(encoded) * 4 <= cap_bytes:
        return encoded
    size = _utf8_len(encoded)
    if size <= cap_bytes:
        return encoded
    text = payload.get("text")
    if isinstance(text, str) and text:
        shortened = _shorten_text(payload, text, size, cap_bytes)
        if shortened is not None:
            return shortened
    return truncation_marker(size)


def encode_line_payload(text: str, words: int, cap_bytes: int) -> str:
    """``encode_payload({"text": text, "words": words}, cap_bytes)``, built directly: this
    runs for every subtitle line, on the caller's thread."""
    encoded = f'{{"text":{_ENCODE_STRING(text)},"words":{int(words)}}}'
    if len(encoded) * 4 <= cap_bytes or _utf8_len(encoded) <= cap_bytes:
        return encoded
    return encode_payload({"text": text, "words": words}, cap_bytes)


def _shorten_text(payload: Mapping[str, Any], text: str, size: int, cap_bytes: int) -> str | None:
    """The payload with ``text`` cut to the longest prefix (in characters) that fits, plus
    the marker fields; ``None`` when not even an empty text fits."""
    base = {key: value for key, value in payload.items() if key != "text"}
    base["truncated"] = True
    base["bytes"] = size

    def render(length: int) -> str:
        return _ENCODER.encode({"text": text[:length], **base})

    if _utf8_len(render(0)) > cap_bytes:
        return None
    # Binary search on the character count: cutting a str never splits a UTF-8 sequence.
    low, high = 0, min(len(text), cap_bytes)
    while low < high:
        mid = (low + high + 1) // 2
        if _utf8_len(render(mid)) <= cap_bytes:
            low = mid
        else:
            high = mid - 1
    return render(low)
