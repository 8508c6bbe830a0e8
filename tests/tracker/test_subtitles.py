"""Subtitle lines: de-duplicated per session, end > start required, words and tokens."""

from __future__ import annotations

import json

from immersion.domain import EventType
from immersion.stores.memory import MemoryStore
from tests.tracker.conftest import TrackerFactory

UUID = "session-0001"


def _lines(
    store: MemoryStore,
) -> list[tuple[int | None, int | None, int | None, int, dict[str, object]]]:
    return [
        (
            e.line_index,
            e.segment_start_ms,
            e.segment_end_ms,
            e.words_delta,
            json.loads(e.payload_json or "null"),
        )
        for e in store.session_events(UUID, event_types=[EventType.SUBTITLE_LINE])
    ]


def test_repeats_of_a_line_count_once(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    # mpv: start and end arrive separately; animated ASS repeats the line every frame.
    tracker.record_subtitle_line("おはよう ございます", 10.0, 10.0)  # end not known yet
    for _ in range(5):
        tracker.record_subtitle_line("おはよう ございます", 10.0, 12.5)
    tracker.record_subtitle_line("  おはよう\n ございます ", 10.0, 12.6)  # same normalized text
    tracker.record_subtitle_line("おはよう ございます", 20.0, 21.0)  # said again later: new
    tracker.record_subtitle_line("次の 行", 12.5, 14.0)
    tracker.close(5)

    assert _lines(store) == [
        (0, 10_000, 12_500, 2, {"text": "おはよう ございます", "words": 2}),
        (1, 20_000, 21_000, 2, {"text": "おはよう ございます", "words": 2}),
        (2, 12_500, 14_000, 2, {"text": "次の 行", "words": 2}),
    ]
    (summary,) = store.session_summaries()
    assert (summary.lines_seen, summary.words_seen) == (3, 6)


def test_lines_need_end_after_start_and_a_word(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_subtitle_line("backwards", 5.0, 4.0)
    tracker.record_subtitle_line("instant", 5.0, 5.0)
    tracker.record_subtitle_line("   \n\t ", 6.0, 7.0)
    tracker.record_subtitle_line("", 6.0, 7.0)
    assert tracker.session is not None and tracker.session.counters.lines_seen == 0
    assert tracker.diagnostics().bad_input == 0  # normal mpv traffic, not caller errors


def test_dedupe_is_per_session(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    for path in ("/a.mkv", "/b.mkv", "/a.mkv"):
        tracker.handle_media_change(path)
        tracker.record_subtitle_line("same line", 1.0, 2.0)
        tracker.record_subtitle_line("same line", 1.0, 2.0)
    tracker.close(5)
    assert [s.lines_seen for s in store.session_summaries()] == [1, 1, 1]


def test_words_and_tokens(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    tracker.record_subtitle_line("three small words", 1, 2)  # 3 words, 3 tokens
    tracker.record_subtitle_line("今日は良い天気ですね", 2, 3)  # 1 word, 10 CJK characters
    tracker.record_subtitle_line("カタカナ and 漢字", 3, 4)  # 3 words, 6 CJK characters
    tracker.record_subtitle_line("트랙 한국어 문장", 4, 5)  # Korean: 3 words, 3 tokens
    tracker.record_subtitle_line("tokenized by the host", 5, 6, tokens=7)
    session = tracker.session
    assert session is not None
    assert session.counters.words_seen == 3 + 1 + 3 + 3 + 4
    assert session.counters.tokens_seen == 3 + 10 + 6 + 3 + 7


def test_line_index_counts_accepted_lines(make_tracker: TrackerFactory) -> None:
    store = MemoryStore()
    tracker = make_tracker(store)
    tracker.handle_media_change("/anime/ep01.mkv")
    for index in range(5):
        tracker.record_subtitle_line(f"line {index}", index, index + 0.5)
        tracker.record_subtitle_line(f"line {index}", index, index + 0.5)
        tracker.record_lookup(True)  # other events share the seq, not the line index
    tracker.flush(5)
    assert [line[0] for line in _lines(store)] == [0, 1, 2, 3, 4]
    seqs = [e.seq for e in store.session_events(UUID)]
    assert seqs == list(range(1, 11))
