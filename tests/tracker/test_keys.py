"""Video keys and fallback titles (domain reference §2)."""

from __future__ import annotations

import os

import pytest

from immersion.domain import SourceType
from immersion.keys import MAX_KEY_CHARS, identify_video, shorten_key, title_from_source


def test_local_files_use_the_absolute_path(tmp_path: os.PathLike[str]) -> None:
    identity = identify_video("/anime/Show/ep01.mkv")
    assert identity.video_key == "local:/anime/Show/ep01.mkv"
    assert identity.source_type == SourceType.LOCAL
    assert identity.source_path == "/anime/Show/ep01.mkv"
    assert identity.default_title == "ep01"
    relative = identify_video("ep02.mp4")
    assert relative.video_key == f"local:{os.path.abspath('ep02.mp4')}"
    assert identify_video("/anime/Show/../Show/ep01.mkv").video_key == identity.video_key


def test_file_urls_are_local_files() -> None:
    identity = identify_video("file:///anime/%E7%AC%AC1%E8%A9%B1.mkv")
    assert identity.video_key == "local:/anime/第1話.mkv"
    assert identity.default_title == "第1話"


def test_windows_paths_keep_their_shape() -> None:
    identity = identify_video("C:\\Anime\\Show\\ep01.mkv")
    assert identity.video_key == "local:C:\\Anime\\Show\\ep01.mkv"
    assert identity.default_title == "ep01"


@pytest.mark.parametrize(
    "url",
    [
        "https://jf.example/Videos/abc/stream.mkv?Static=true",
        "https://jf.example/Videos/abc/stream.mkv?Static=true&api_key=SECRET1",
        "https://jf.example/Videos/abc/stream.mkv?API_KEY=other&Static=true&StartTimeTicks=9000",
        "https://jf.example/Videos/abc/stream.mkv?audiostreamindex=2&Static=true&SubtitleStreamIndex=3",
    ],
)
def test_volatile_query_keys_map_to_one_key(url: str) -> None:
    identity = identify_video(url)
    assert identity.video_key == "remote:https://jf.example/Videos/abc/stream.mkv?Static=true"
    assert identity.source_type == SourceType.REMOTE
    assert identity.source_url == "https://jf.example/Videos/abc/stream.mkv?Static=true"


def test_urls_keep_everything_else() -> None:
    url = "https://cdn.example/a%20b/ep.mp4?token=x&api_key=k#t=10"
    assert identify_video(url).video_key == "remote:https://cdn.example/a%20b/ep.mp4?token=x#t=10"
    assert identify_video("https://x.example/v.mp4?api_key=k").video_key == (
        "remote:https://x.example/v.mp4"
    )


def test_url_titles_are_the_last_decoded_segment() -> None:
    assert identify_video("https://ex.example/s/%E7%AC%AC1%E8%A9%B1.mp4").default_title == "第1話"
    assert title_from_source("https://ex.example/watch?v=abc") == "watch"
    assert title_from_source("https://ex.example/") == "ex.example"
    assert title_from_source("/anime/Vol. 2") == "Vol. 2"
    assert title_from_source("/anime/.hidden") == ".hidden"
    assert title_from_source("/anime/odd\\name.mkv") == "odd\\name"  # a POSIX name


def test_long_keys_are_shortened_deterministically() -> None:
    long_url = "https://ex.example/" + "a" * 2_000 + ".mp4"
    key = identify_video(long_url).video_key
    assert len(key) == MAX_KEY_CHARS
    assert key == identify_video(long_url).video_key
    other = identify_video(long_url.replace(".mp4", ".mkv")).video_key
    assert other != key and other[:700] == key[:700]
    assert shorten_key("local:/short") == "local:/short"


def test_unclean_paths_become_storable_keys() -> None:
    identity = identify_video("/anime/bad\udcff\x00name.mkv")
    identity.video_key.encode("utf-8")
    assert "\x00" not in identity.video_key
    with pytest.raises(ValueError):
        identify_video("   ")
