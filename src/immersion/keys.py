"""Video keys and titles (domain reference §2).

- A local file is ``local:<absolute path>``; ``file://`` URLs are local files too.
- A stream is ``remote:<url>`` with the volatile query keys (``api_key``, ``StartTimeTicks``,
  ``AudioStreamIndex``, ``SubtitleStreamIndex``; any case) removed, so every way a media
  server hands out the same item maps to one key. The rest of the URL is kept byte for byte.
- Keys longer than ``MAX_KEY_CHARS`` keep a prefix and end in a hash of the whole key, so they
  stay unique, deterministic and indexable on every backend.
- ``source_path``/``source_url`` keep at most ``MAX_SOURCE_CHARS`` characters (longer ones
  cannot name a real file and only bloat the database); the key still hashes all of it.
- Title: the player's media title when given, else the file name without its extension (for a
  URL the last percent-decoded path segment, ``%E7%AC%AC1%E8%A9%B1.mp4`` -> ``第1話``).
"""

from __future__ import annotations

import hashlib
import ntpath
import os
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .domain import SourceType
from .payload import sanitize_text

__all__ = [
    "MAX_KEY_CHARS",
    "MAX_SOURCE_CHARS",
    "VOLATILE_QUERY_KEYS",
    "VideoIdentity",
    "identify_video",
    "shorten_key",
    "strip_volatile_query",
    "title_from_source",
]

MAX_KEY_CHARS = 768
MAX_SOURCE_CHARS = 4096
VOLATILE_QUERY_KEYS = frozenset(
    {"api_key", "starttimeticks", "audiostreamindex", "subtitlestreamindex"}
)

_HASH_CHARS = 32
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")


@dataclass(frozen=True, slots=True)
class VideoIdentity:
    """What a media path tells us about a video."""

    video_key: str
    source_type: SourceType
    source_path: str | None
    source_url: str | None
    default_title: str


def identify_video(path: str) -> VideoIdentity:
    """The key, source and fallback title of the media ``path`` mpv reports.

    ``path`` must be non-empty; it is sanitized (lone surrogates and NUL replaced) first.
    """
    path = sanitize_text(path).strip()
    if not path:
        raise ValueError("an empty media path names no video")
    if _URL.match(path) and not path.lower().startswith("file://"):
        url = strip_volatile_query(path)
        return VideoIdentity(
            video_key=shorten_key(f"remote:{url}"),
            source_type=SourceType.REMOTE,
            source_path=None,
            source_url=url[:MAX_SOURCE_CHARS],
            default_title=title_from_source(url),
        )
    if path.lower().startswith("file://"):
        path = sanitize_text(unquote(urlsplit(path).path)) or path
    absolute = _absolute(path)
    return VideoIdentity(
        video_key=shorten_key(f"local:{absolute}"),
        source_type=SourceType.LOCAL,
        source_path=absolute[:MAX_SOURCE_CHARS],
        source_url=None,
        default_title=title_from_source(absolute),
    )


def _absolute(path: str) -> str:
    # A Windows path (C:\..., \\server\share) keeps its own rules even when read on POSIX.
    if _WINDOWS_PATH.match(path):
        return ntpath.normpath(path)
    return os.path.abspath(path)


def strip_volatile_query(url: str) -> str:
    """``url`` without the volatile query parameters; everything else unchanged."""
    head, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = rest.partition("#")
    kept = [
        part
        for part in query.split("&")
        if part and unquote(part.partition("=")[0]).lower() not in VOLATILE_QUERY_KEYS
    ]
    result = head + ("?" + "&".join(kept) if kept else "")
    return result + hash_sep + fragment


def title_from_source(source: str) -> str:
    """The file name without extension of a path or URL (decoded); the source itself when
    there is no usable name."""
    if _URL.match(source):
        split = urlsplit(source)
        segments = [s for s in split.path.split("/") if s]
        name = sanitize_text(unquote(segments[-1])) if segments else split.netloc
    else:
        windows = _WINDOWS_PATH.match(source) or os.sep == "\\"
        name = ntpath.basename(source) if windows else posixpath.basename(source)
    stem, ext = posixpath.splitext(name)
    # ".mp4"-like extensions only: "Vol. 2" or ".hidden" keep their dots.
    if ext and 1 < len(ext) <= 6 and ext[1:].isalnum() and stem:
        name = stem
    name = name.strip()
    return name or source


def shorten_key(key: str) -> str:
    """``key`` if it fits ``MAX_KEY_CHARS``, else a prefix plus ``#`` and a hash of the key."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    return f"{key[: MAX_KEY_CHARS - _HASH_CHARS - 1]}#{digest}"
