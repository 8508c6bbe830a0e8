"""The bridge against scripted mpv streams (shaped like what mpv 0.35 really sends).

Each step is sent, then synchronised with one request round-trip, so the tracker has seen it
before the ``ManualClock`` moves on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from immersion import EventType, Tracker
from immersion.mpv import OBSERVED_PROPERTIES, MpvBridge, MpvIpcClient, connect
from immersion.results import SessionSummary
from immersion.testing import ManualClock
from tests.mpv.fake_mpv import FakeMpv, event, prop

# mpv right after observing, while nothing is loaded: every value unavailable.
NOTHING_LOADED = [prop(name) for name in OBSERVED_PROPERTIES if name != "pause"] + [
    prop("pause", False)
]


class Player:
    """A fake mpv with our client and bridge attached to ``tracker``."""

    def __init__(self, fake: FakeMpv, tracker: Tracker, clock: ManualClock) -> None:
        self.fake, self.tracker, self.clock = fake, tracker, clock
        self.bridge = MpvBridge(tracker)
        self.client: MpvIpcClient = connect(
            fake.path, on_event=self.bridge.handle_event, on_close=self.bridge.finish
        )
        self.bridge.observe(self.client)

    def send(self, *messages: dict[str, Any] | bytes) -> None:
        self.fake.send(*messages)
        self.client.command("client_name")  # a round-trip: every line before it is handled

    def play(self, *positions: float) -> None:
        """One ``time-pos`` tick per second of wall time (the clock moves first)."""
        for position in positions:
            self.clock.advance(1_000)
            self.send(prop("time-pos", position))

    def quit(self) -> None:
        self.fake.drop_connection()
        assert self.client.wait_closed(5)
        self.client.close()

    def summaries(self) -> list[SessionSummary]:
        assert self.tracker.flush(5)
        return list(reversed(self.tracker.store.session_summaries()))  # oldest first

    def line_texts(self, session_uuid: str) -> list[tuple[int | None, str | None]]:
        events = self.tracker.store.session_events(
            session_uuid, event_types={EventType.SUBTITLE_LINE}
        )
        return [(e.segment_start_ms, e.payload_json) for e in events]


@pytest.fixture
def player(fake_mpv: FakeMpv, tracker: Tracker, clock: ManualClock) -> Iterator[Player]:
    connected = Player(fake_mpv, tracker, clock)
    yield connected
    connected.client.close()


def open_file(path: str, title: str | None = None, duration: float = 1440.0) -> list[Any]:
    """What mpv sends when it opens ``path`` (its title, if any, comes after file-loaded)."""
    name = path.rsplit("/", 1)[-1]
    messages: list[Any] = [
        event("start-file", playlist_entry_id=1),
        prop("path", path),
        prop("media-title", name),  # mpv's fallback: the file name with its extension
        prop("duration"),
        event("file-loaded"),
    ]
    if title is not None:
        messages.append(prop("media-title", title))
    messages.append(prop("duration", duration))
    return messages


def test_a_viewing_with_out_of_order_cues_nulls_bad_lines_and_an_abrupt_close(
    player: Player, fake_mpv: FakeMpv
) -> None:
    assert fake_mpv.observed == list(OBSERVED_PROPERTIES)
    player.send(*NOTHING_LOADED)
    player.send(
        event("start-file", playlist_entry_id=1),
        prop("path", "Frieren/ep01.mkv"),  # relative to mpv's working directory
        prop("media-title", "ep01.mkv"),
        prop("duration"),
        b"{garbage\n",
        event("file-loaded"),
        prop("media-title", "葬送のフリーレン 第1話"),
        prop("duration", 1440.0),
        prop("time-pos", -0.02),  # mpv reports this at the start with some delays
        prop("time-pos", 0.0),
    )
    player.play(1.0)
    # cue 1, end first
    player.send(
        prop("sub-end", 3.5), prop("sub-start", 1.0), prop("sub-text", "今日はいい天気ですね")
    )
    player.play(2.0)
    player.send(prop("sub-text", ""), prop("sub-start"), prop("sub-end"))  # cue over
    player.play(3.0)
    # cue 2, text first, a broken line in the middle of the burst
    player.send(
        prop("sub-text", "どこへ行くの？"),
        b"\xff\xfe not json\n",
        prop("sub-end", 6.0),
        prop("sub-start", 4.0),
    )
    player.play(4.0)
    player.send(prop("sub-text", "どこへ行くの？ "))  # re-rendered (animated): same line
    player.play(5.0)
    player.send(prop("sub-text", "壊れた"), prop("sub-start", 7.0), prop("sub-end", 7.0))
    player.play(6.0)
    player.send(prop("time-pos", "soon"), prop("pause", "yes"), prop("duration", True))
    # the last cue arrives and mpv is gone before anything else
    player.send(prop("sub-text", "Let me think about it"), prop("sub-end", 9.5))
    player.send(prop("sub-start", 8.0))
    player.quit()

    assert player.tracker.session is None  # finalized when the socket closed
    [session] = player.summaries()
    assert session.video_key == "local:/media/anime/Frieren/ep01.mkv"
    assert session.title == "葬送のフリーレン 第1話"
    assert session.ended_at_ms == player.clock.now_ms()
    assert (session.lines_seen, session.words_seen) == (3, 1 + 1 + 5)
    assert session.active_watched_ms == session.total_watched_ms == 6_000
    assert session.seek_forward_count == session.seek_backward_count == 0
    assert session.ended_media_ms == 6_000
    assert [start for start, _ in player.line_texts(session.session_uuid)] == [1000, 4000, 8000]
    assert player.client.stats().malformed_lines == 2
    assert player.bridge.stats().ignored_values == 3
    assert player.bridge.stats().sessions == (session.session_uuid,)
    assert player.tracker.diagnostics().bad_input == 0  # nothing invalid reached the tracker


def test_a_playlist_gives_one_session_per_file_with_the_right_titles(player: Player) -> None:
    player.send(*NOTHING_LOADED)
    player.send(*open_file("/anime/ep01.mkv"))
    player.play(0.0, 1.0, 2.0)
    player.send(prop("sub-text", "一緒に行こう"), prop("sub-start", 1.5), prop("sub-end", 2.5))
    player.play(3.0)
    # the next entry: its title arrives while it loads, then again with metadata
    player.send(event("end-file", reason="eof", playlist_entry_id=1))
    player.send(*open_file("/anime/ep02.mkv", title="第2話"))
    player.send(prop("sub-text", "一緒に行こう"), prop("sub-start", 1.5), prop("sub-end", 2.5))
    player.play(0.0, 1.0)
    player.send(event("end-file", reason="eof", playlist_entry_id=2))
    player.quit()

    first, second = player.summaries()
    assert (first.video_key, first.title) == ("local:/anime/ep01.mkv", "ep01")  # no extension
    assert (second.video_key, second.title) == ("local:/anime/ep02.mkv", "第2話")
    assert (first.lines_seen, second.lines_seen) == (1, 1)  # same cue, other session
    assert (first.active_watched_ms, second.active_watched_ms) == (3_000, 1_000)
    assert first.ended_at_ms is not None and second.ended_at_ms is not None
    assert first.ended_at_ms <= second.started_at_ms
    videos = {v.video_key: v for v in player.tracker.store.video_stats()}
    assert videos["local:/anime/ep01.mkv"].title == "ep01"  # never renamed by ep02's title
    assert videos["local:/anime/ep02.mkv"].duration_ms == 1_440_000


def test_a_pause_is_counted_with_its_duration(player: Player) -> None:
    player.send(*NOTHING_LOADED)
    player.send(*open_file("/anime/ep01.mkv"), prop("time-pos", 0.0))
    player.play(1.0, 2.0)
    player.send(prop("pause", True))
    player.clock.advance(5_000)  # mpv sends no time-pos while paused
    player.send(prop("pause", False))
    player.play(3.0, 4.0)
    player.quit()

    [session] = player.summaries()
    assert (session.pause_count, session.pause_ms) == (1, 5_000)
    # the interval the pause touched is watched but not active time
    assert (session.total_watched_ms, session.active_watched_ms) == (9_000, 3_000)


def test_attaching_mid_file_starts_at_once_with_the_cue_on_screen(
    fake_mpv: FakeMpv, tracker: Tracker, clock: ManualClock
) -> None:
    del fake_mpv.properties["working-directory"]  # an mpv that does not say: ours is used
    player = Player(fake_mpv, tracker, clock)
    player.send(
        prop("media-title", "Shinya Shokudo"),
        prop("duration", 2700.0),
        prop("pause", False),
        prop("path", "https://media.example.org/v/%E7%AC%AC1%E8%A9%B1.mp4?api_key=s3cret"),
        prop("paused-for-cache", False),
        prop("time-pos", 600.0),
        prop("sub-text", "ちょっと待って"),
        prop("sub-start", 599.5),
        prop("sub-end", 601.0),
    )
    player.play(601.0)
    player.send(prop("paused-for-cache", True), prop("paused-for-cache", True))
    player.send(prop("paused-for-cache", False), prop("paused-for-cache", True))
    player.send(event("file-loaded"))  # late, for the file we already track: no new session
    player.send(event("idle"))
    player.quit()

    [session] = player.summaries()
    assert session.video_key == "remote:https://media.example.org/v/%E7%AC%AC1%E8%A9%B1.mp4"
    assert session.title == "Shinya Shokudo"
    assert (session.lines_seen, session.media_buffer_events) == (1, 2)
    assert session.active_watched_ms == 1_000


def test_mpv_fallback_titles_give_way_to_the_file_name(
    fake_mpv: FakeMpv, tracker: Tracker, clock: ManualClock
) -> None:
    player = Player(fake_mpv, tracker, clock)
    url = "https://media.example.org/v/%E7%AC%AC1%E8%A9%B1.mp4?api_key=s3cret"
    player.send(*open_file(url), prop("media-title", "%E7%AC%AC1%E8%A9%B1.mp4"))
    player.send(prop("path"))  # cleared (mpv went idle): the session ends
    player.send(*open_file("relative name.mkv"))
    player.quit()

    titles = {s.video_key: s.title for s in player.summaries()}
    assert titles == {
        "remote:https://media.example.org/v/%E7%AC%AC1%E8%A9%B1.mp4": "第1話",
        "local:/media/anime/relative name.mkv": "relative name",
    }


def test_a_file_mpv_cannot_open_records_nothing(player: Player) -> None:
    player.send(*NOTHING_LOADED)
    player.send(
        event("start-file", playlist_entry_id=1),
        prop("path", "/anime/missing.mkv"),
        prop("media-title", "missing.mkv"),
        event("end-file", reason="error", file_error="loading failed", playlist_entry_id=1),
        event("idle"),
        prop("path"),
        prop("media-title"),
    )
    player.send(*open_file("/anime/ep01.mkv"))  # the next file still gets its session
    player.send(event("shutdown"))
    player.quit()
    [session] = player.summaries()
    assert session.video_key == "local:/anime/ep01.mkv"


def test_events_after_finish_are_ignored(player: Player) -> None:
    player.send(*open_file("/anime/ep01.mkv"))
    player.bridge.finish()
    player.send(*open_file("/anime/ep02.mkv"))
    player.quit()
    assert len(player.summaries()) == 1
