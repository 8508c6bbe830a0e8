"""Video upserts and single-field updates."""

from __future__ import annotations

import pytest

from immersion.domain import SourceType, Video, VideoMetadata
from immersion.errors import StoreIntegrityError
from immersion.store import ImmersionTrackingStore
from immersion.writes import UpdateVideoDuration, UpdateVideoTitle, UpsertVideo

from .builders import EP1, MINUTE, STREAM, T0, make_video, open_session, write

FULL_METADATA = VideoMetadata(
    file_size_bytes=734_003_200,
    codec="h264",
    width_px=1920,
    height_px=1080,
    fps_x100=2397,
    bitrate_kbps=4500,
)


def test_upsert_inserts_a_video_with_every_field(store: ImmersionTrackingStore) -> None:
    video = Video(
        video_key=EP1,
        title="Episode 1",
        source_type=SourceType.LOCAL,
        source_path="/anime/show/ep01.mkv",
        duration_ms=24 * MINUTE,
        metadata=FULL_METADATA,
        created_at_ms=T0,
        updated_at_ms=T0 + 5,
    )
    write(store, UpsertVideo(video))
    assert store.get_video(EP1) == video


def test_a_remote_video_keeps_its_url(store: ImmersionTrackingStore) -> None:
    write(store, make_video(STREAM, "第1話", source_url="https://media.example/stream/42"))
    got = store.get_video(STREAM)
    assert got is not None
    assert got.source_type is SourceType.REMOTE
    assert got.source_url == "https://media.example/stream/42"
    assert got.source_path is None


def test_upsert_of_an_existing_key_updates_but_keeps_created_at(
    store: ImmersionTrackingStore,
) -> None:
    write(store, make_video(EP1, "old title", duration_ms=1000, at_ms=T0))
    write(store, make_video(EP1, "new title", duration_ms=2000, at_ms=T0 + MINUTE))
    got = store.get_video(EP1)
    assert got is not None
    assert (got.title, got.duration_ms) == ("new title", 2000)
    assert (got.created_at_ms, got.updated_at_ms) == (T0, T0 + MINUTE)


def test_upsert_leaving_fields_unknown_keeps_the_stored_values(
    store: ImmersionTrackingStore,
) -> None:
    write(
        store,
        make_video(EP1, "t", duration_ms=1000, metadata=FULL_METADATA, source_path="/a.mkv"),
    )
    write(store, make_video(EP1, "t2", at_ms=T0 + 1))  # duration, path and metadata unknown
    got = store.get_video(EP1)
    assert got is not None
    assert got.title == "t2"
    assert got.duration_ms == 1000
    assert got.source_path == "/a.mkv"
    assert got.metadata == FULL_METADATA


def test_upsert_replaces_each_metadata_field_it_knows(store: ImmersionTrackingStore) -> None:
    write(store, make_video(EP1, metadata=FULL_METADATA))
    write(store, make_video(EP1, metadata=VideoMetadata(codec="hevc", width_px=3840)))
    got = store.get_video(EP1)
    assert got is not None
    assert got.metadata == VideoMetadata(
        file_size_bytes=734_003_200,
        codec="hevc",
        width_px=3840,
        height_px=1080,
        fps_x100=2397,
        bitrate_kbps=4500,
    )


def test_update_title_changes_title_and_updated_at(store: ImmersionTrackingStore) -> None:
    write(store, make_video(EP1, "file name", duration_ms=5))
    write(store, UpdateVideoTitle(EP1, "Media Title", T0 + 9))
    got = store.get_video(EP1)
    assert got is not None
    assert (got.title, got.updated_at_ms, got.created_at_ms) == ("Media Title", T0 + 9, T0)
    assert got.duration_ms == 5


def test_update_duration_changes_only_duration(store: ImmersionTrackingStore) -> None:
    write(store, make_video(EP1, "t"))
    write(store, UpdateVideoDuration(EP1, 1_440_000, T0 + 7))
    got = store.get_video(EP1)
    assert got is not None
    assert (got.title, got.duration_ms, got.updated_at_ms) == ("t", 1_440_000, T0 + 7)


@pytest.mark.parametrize(
    "update",
    [
        UpdateVideoTitle("local:/missing.mkv", "x", T0),
        UpdateVideoDuration("local:/missing.mkv", 1, T0),
    ],
    ids=["title", "duration"],
)
def test_updating_an_unknown_video_is_an_integrity_error(
    store: ImmersionTrackingStore, update: UpdateVideoTitle | UpdateVideoDuration
) -> None:
    with pytest.raises(StoreIntegrityError):
        write(store, update)
    assert store.get_video("local:/missing.mkv") is None


def test_a_new_title_shows_in_summaries_and_stats(store: ImmersionTrackingStore) -> None:
    open_session(store, "s1", EP1)
    write(store, UpdateVideoTitle(EP1, "Renamed", T0 + 1))
    assert store.session_summaries()[0].title == "Renamed"
    assert store.video_stats()[0].title == "Renamed"
