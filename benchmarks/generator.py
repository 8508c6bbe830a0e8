"""A seeded, realistic immersion history: the data every benchmark runs on.

A heavy learner watches anime (24-minute episodes) and dramas (45-minute episodes), local
files and a few streams, on most days of the year: one to five sessions a day with gaps
between them and an occasional break of a few days. While a video plays a subtitle line
arrives every 2-6 s; each line gets 0-4 known-word checks (``LOOKUP``), now and then a
dictionary lookup and a mined card; the learner pauses, rewinds to hear a line again and
skips ahead. A telemetry sample snapshots the counters every 5 s of wall time, as the tracker
does. Every few hundred sessions one is left active by a "crash", and the newest session is
still being watched when the history ends, so a few sessions are active.

The writes are exactly what the tracker would hand to ``write_batch`` (same write kinds,
payloads built with ``immersion.payload``, video keys from ``immersion.keys``), in time order.
The history is a pure function of ``(events, seed)``: the same arguments give the same writes
on every backend and every machine. ``events`` is the exact number of ``RecordEvent`` writes;
telemetry samples come on top (about 0.3 per event). The intensity per day is fixed, so the
history spans about one year at 1M events, ten years at 10M, and ends around ``END_DAY``.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from immersion.domain import EventType, SessionCounters, TelemetrySample, TrackedEvent, Video
from immersion.keys import identify_video
from immersion.localtime import local_time
from immersion.payload import count_tokens, encode_line_payload, encode_payload
from immersion.writes import (
    FinalizeSession,
    RecordEvent,
    RecordSample,
    StartSession,
    UpdateVideoDuration,
    UpsertVideo,
    Write,
)

__all__ = [
    "DEFAULT_SEED",
    "END_DAY",
    "EVENTS_PER_DAY",
    "ZONE",
    "History",
    "HistorySummary",
    "subtitle_lines",
]

DEFAULT_SEED = 20260301
ZONE = "Asia/Tokyo"
END_DAY = dt.date(2025, 12, 31)
# Events the learner produces on an average calendar day (measured on this generator): the
# history starts this many events' worth of days before END_DAY.
EVENTS_PER_DAY = 2_750
SAMPLE_INTERVAL_MS = 5_000  # the tracker's default write.sample_interval_ms
PAYLOAD_CAP = 256  # the tracker's default write.payload_cap_bytes
GAP_GUARD_MS = 60_000  # a pause this long is not watched time (the tracker's gap guard)
CRASH_EVERY = 311  # every 311th session is left active, as if the player had crashed

_MINUTE = 60_000
# words of the subtitle lines, separated by spaces as a tokenizer would
_VOCABULARY_TEXT = (
    "今日 は 天気 が いい ね 本当 に そう だ よ 行こう か 待って 何 これ 先生 学校 "
    "友達 一緒 に 帰る 電車 遅れ ちゃう 大丈夫 心配 しない で 約束 した でしょ 覚えて "
    "いる 忘れた わけ じゃ ない けど ちょっと 待って ください 美味しい ラーメン 食べ たい "
    "お腹 すいた 明日 また 会おう 頑張って ね ありがとう ございます すみません 失礼 します "
    "気持ち 分かる 絶対 負け ない 夢 叶える 世界 守る 力 信じて 魔法 少女 猫 犬 海 山 空"
)
_VOCABULARY = tuple(_VOCABULARY_TEXT.split())
_CHECKS = (0, 1, 2, 3, 4)  # known-word checks per line
_CHECK_WEIGHTS = (15, 30, 30, 15, 10)
_SHOWS = (
    "ゆるキャン△",
    "しろくまカフェ",
    "のんのんびより",
    "よつばと",
    "日常",
    "けいおん!",
    "銀の匙",
    "ばらかもん",
    "逃げ恥",
    "深夜食堂",
    "孤独のグルメ",
    "半沢直樹",
    "リーガルハイ",
    "あまちゃん",
    "HERO",
    "Re:ゼロ",
)


@dataclass
class HistorySummary:
    """What the generated history holds; complete once ``History.writes()`` is exhausted."""

    events: int = 0
    samples: int = 0
    sessions: int = 0
    active_sessions: int = 0
    writes: int = 0
    first_ms: int | None = None
    last_ms: int = 0
    # (session_uuid, started_at_ms, video_key) of every session, oldest first
    session_list: list[tuple[str, int, str]] = field(default_factory=list)
    video_keys: list[str] = field(default_factory=list)

    def last_day(self, zone: ZoneInfo) -> dt.date:
        return local_time(self.last_ms, zone).day

    def first_day(self, zone: ZoneInfo) -> dt.date:
        return local_time(self.first_ms or 0, zone).day


@dataclass
class _Show:
    name: str
    episode_ms: int
    episodes: int
    remote: bool
    episode: int = 1
    resume_ms: int = 0


class _Counters:
    """The live counters of the session being generated (``SessionCounters`` fields)."""

    __slots__ = (
        "active_watched_ms",
        "cards_mined",
        "dictionary_lookups",
        "lines_seen",
        "lookup_count",
        "lookup_hits",
        "media_buffer_events",
        "pause_count",
        "pause_ms",
        "seek_backward_count",
        "seek_forward_count",
        "tokens_seen",
        "total_watched_ms",
        "words_seen",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def frozen(self) -> SessionCounters:
        return SessionCounters(**{name: getattr(self, name) for name in self.__slots__})


class History:
    """The history of ``events`` events for ``seed`` (see the module docstring)."""

    def __init__(self, events: int, seed: int = DEFAULT_SEED, zone: str = ZONE) -> None:
        if events < 1:
            raise ValueError("a history needs at least one event")
        self.events = events
        self.seed = seed
        self.zone = ZoneInfo(zone)
        self.summary = HistorySummary()
        self._rng = random.Random(seed)
        self._lines = self._line_pool(self._rng)
        self._show_count = 0
        self._videos: set[str] = set()

    # ----------------------------------------------------------------- the whole history

    def writes(self) -> Iterator[Write]:
        """Every write of the history, in time order (one pass: the summary fills up)."""
        rng = self._rng
        days = max(1, round(self.events / EVENTS_PER_DAY))
        day = END_DAY - dt.timedelta(days=days - 1)
        shows = [self._new_show() for _ in range(3)]
        break_left = 0
        while self.summary.events < self.events:
            if break_left:
                break_left -= 1
            elif rng.random() < 0.015:  # a trip, an exam week: a few days without watching
                break_left = rng.randint(1, 4)
            elif rng.random() < 0.9:
                yield from self._day(day, shows)
            day += dt.timedelta(days=1)

    def _day(self, day: dt.date, shows: list[_Show]) -> Iterator[Write]:
        rng = self._rng
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=self.zone)
        day_ms = int(midnight.timestamp() * 1000)
        count = rng.choices((1, 2, 3, 4, 5), weights=(10, 25, 30, 20, 15))[0]
        if day.weekday() >= 5:
            count += 1
        hour = rng.choices((7, 12, 17, 20), weights=(25, 20, 30, 25))[0]
        start_ms = day_ms + hour * 60 * _MINUTE + rng.randrange(60 * _MINUTE)
        for _ in range(count):
            if start_ms >= day_ms + 24 * 60 * _MINUTE or self.summary.events >= self.events:
                return
            end_ms = yield from self._session(start_ms, self._pick_show(shows))
            start_ms = end_ms + rng.randint(5, 90) * _MINUTE

    def _pick_show(self, shows: list[_Show]) -> _Show:
        index = self._rng.choices((0, 1, 2), weights=(80, 15, 5))[0]
        show = shows[index]
        if show.episode > show.episodes:
            show = shows[index] = self._new_show()
        return show

    def _new_show(self) -> _Show:
        rng = self._rng
        self._show_count += 1
        base = _SHOWS[self._show_count % len(_SHOWS)]
        season = self._show_count // len(_SHOWS) + 1
        if rng.random() < 0.7:
            return _Show(
                f"{base} {season}期", 24 * _MINUTE, rng.randint(12, 26), rng.random() < 0.1
            )
        return _Show(f"{base} S{season}", 45 * _MINUTE, rng.randint(9, 12), rng.random() < 0.1)

    # ----------------------------------------------------------------- one session

    def _video(self, show: _Show, start_ms: int) -> tuple[Video, int]:
        folder = "anime" if show.episode_ms < 30 * _MINUTE else "drama"
        if show.remote:
            item = uuid.uuid5(uuid.NAMESPACE_URL, f"{show.name}/{show.episode}").hex
            path = f"https://jellyfin.example/Videos/{item}/stream.mkv?api_key=k{item[:8]}"
        else:
            path = f"/home/learner/{folder}/{show.name}/{show.name} - {show.episode:02d}.mkv"
        identity = identify_video(path)
        video = Video(
            video_key=identity.video_key,
            title=f"{show.name} 第{show.episode}話",
            source_type=identity.source_type,
            source_path=identity.source_path,
            source_url=identity.source_url,
            created_at_ms=start_ms,
            updated_at_ms=start_ms,
        )
        if video.video_key not in self._videos:
            self._videos.add(video.video_key)
            self.summary.video_keys.append(video.video_key)
        return video, show.episode_ms

    def _session(self, start_ms: int, show: _Show) -> Iterator[Write]:
        """The writes of one session of ``show``; returns its end (epoch ms)."""
        rng, summary = self._rng, self.summary
        video, duration_ms = self._video(show, start_ms)
        uuid_ = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        when = local_time(start_ms, self.zone)
        summary.sessions += 1
        summary.session_list.append((uuid_, start_ms, video.video_key))
        if summary.first_ms is None:
            summary.first_ms = start_ms
        crashes = summary.sessions % CRASH_EVERY == CRASH_EVERY // 2
        yield UpsertVideo(video)
        yield StartSession(uuid_, video.video_key, start_ms, when.day, when.month, when.hour)
        yield UpdateVideoDuration(video.video_key, duration_ms, start_ms)
        summary.writes += 3

        # Where playback stops: the episode's end, or the learner stops after a while.
        media = show.resume_ms
        finishes = rng.random() < 0.75
        stop_ms = (
            duration_ms if finishes else min(duration_ms, media + rng.randint(8, 25) * _MINUTE)
        )
        if crashes:
            stop_ms = media + (stop_ms - media) // 3
        state = _SessionState(uuid_, start_ms)
        wall = start_ms
        while media < stop_ms - 5_000 and self._room():
            wall, media = yield from self._line(state, wall, media, show.remote)
        if not self._room():  # the budget is spent: this session is being watched now
            summary.active_sessions += 1
            if state.dirty:
                yield self._sample(state, wall)
        elif crashes:
            summary.active_sessions += 1
        else:
            if state.dirty or not state.sampled:
                yield self._sample(state, wall)
            counters = state.counters.frozen()
            yield FinalizeSession(uuid_, wall, counters, media, state.last_sample_ms)
            summary.writes += 1
        summary.last_ms = max(summary.last_ms, wall)
        if media >= duration_ms * 0.85:
            show.episode, show.resume_ms = show.episode + 1, 0
        else:
            show.resume_ms = media
        return wall

    def _room(self) -> bool:
        return self.summary.events < self.events

    def _line(self, state: _SessionState, wall: int, media: int, remote: bool) -> Iterator[Write]:
        """One subtitle line and what happens around it; returns the new (wall, media).

        Every event but the first checks the budget, so the history holds exactly
        ``events`` events (the caller checked it before the first)."""
        rng, counters = self._rng, state.counters
        interval = rng.randint(2_000, 6_000)
        roll = rng.random()
        if roll < 0.012:  # a pause (mpv sends no ticks while paused)
            pause = rng.randint(3_000, 180_000)
            counters.pause_count += 1
            yield self._event(state, wall, EventType.PAUSE_START, {"paused": True})
            wall += pause
            counters.pause_ms += pause
            if pause < GAP_GUARD_MS:
                counters.total_watched_ms += pause
            if not self._room():
                return wall, media
            yield self._event(state, wall, EventType.PAUSE_END, {"paused": False})
        elif roll < 0.020:  # rewind to hear a line again, or skip an opening
            back = rng.random() < 0.7
            target = max(0, media - rng.randint(3_000, 20_000)) if back else media + 85_000
            if back:
                counters.seek_backward_count += 1
            else:
                counters.seek_forward_count += 1
            kind = EventType.SEEK_BACKWARD if back else EventType.SEEK_FORWARD
            payload = {"fromMs": media, "toMs": target}
            yield self._event(state, wall, kind, payload, start=media, end=target)
            media = target
        elif remote and roll < 0.025:
            counters.media_buffer_events += 1
            yield self._event(state, wall, EventType.MEDIA_BUFFER, {"buffer": True})
        if not self._room():
            return wall, media
        wall += interval
        counters.total_watched_ms += interval
        counters.active_watched_ms += interval
        _, words, tokens, payload_json = self._lines[rng.randrange(len(self._lines))]
        line_end = media + rng.randint(1_200, interval)
        counters.lines_seen += 1
        counters.words_seen += words
        counters.tokens_seen += tokens
        yield self._event(
            state,
            wall,
            EventType.SUBTITLE_LINE,
            payload_json=payload_json,
            line_index=counters.lines_seen - 1,
            start=media,
            end=line_end,
            words=words,
        )
        checks = rng.choices(_CHECKS, weights=_CHECK_WEIGHTS)[0]
        for _ in range(checks):
            if not self._room():
                return wall, media + interval
            hit = rng.random() < 0.85
            counters.lookup_count += 1
            counters.lookup_hits += hit
            yield self._event(state, wall, EventType.LOOKUP, {"hit": hit})
        if rng.random() < 0.04 and self._room():
            counters.dictionary_lookups += 1
            yield self._event(state, wall + 400, EventType.DICTIONARY_LOOKUP)
            if rng.random() < 0.3 and self._room():
                counters.cards_mined += 1
                note = rng.randrange(1_600_000_000_000, 1_800_000_000_000)
                payload = {"cardsMined": 1, "noteIds": [note]}
                yield self._event(state, wall + 900, EventType.CARD_MINED, payload, cards=1)
        if wall - state.last_sample_ms >= SAMPLE_INTERVAL_MS:
            yield self._sample(state, wall)
        return wall, media + interval

    # ----------------------------------------------------------------- writes

    def _event(
        self,
        state: _SessionState,
        ts_ms: int,
        kind: EventType,
        payload: dict[str, object] | None = None,
        *,
        payload_json: str | None = None,
        line_index: int | None = None,
        start: int | None = None,
        end: int | None = None,
        words: int = 0,
        cards: int = 0,
    ) -> Write:
        """The next event of the session (its counters are already updated)."""
        if payload is not None:
            payload_json = encode_payload(payload, PAYLOAD_CAP)
        state.seq += 1
        state.dirty = True
        self.summary.events += 1
        self.summary.writes += 1
        return RecordEvent(
            TrackedEvent(
                state.uuid,
                state.seq,
                ts_ms,
                kind,
                line_index,
                start,
                end,
                words,
                cards,
                payload_json,
            )
        )

    def _sample(self, state: _SessionState, now_ms: int) -> Write:
        state.seq += 1
        state.dirty = False
        state.sampled = True
        state.last_sample_ms = now_ms
        self.summary.samples += 1
        self.summary.writes += 1
        counters = state.counters.frozen()
        return RecordSample(TelemetrySample(state.uuid, state.seq, now_ms, counters))

    @staticmethod
    def _line_pool(rng: random.Random) -> list[tuple[str, int, int, str]]:
        """Subtitle lines as ``(text, words, tokens, payload_json)``, built once (the text
        is kept for the ingest benchmark, which records lines through the tracker)."""
        pool = []
        for _ in range(4_000):
            words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(3, 12))]
            text = " ".join(words)
            tokens = count_tokens(text, len(words))
            pool.append(
                (text, len(words), tokens, encode_line_payload(text, len(words), PAYLOAD_CAP))
            )
        return pool


class _SessionState:
    """Sequence numbers and sampling state of the session being generated."""

    __slots__ = ("counters", "dirty", "last_sample_ms", "sampled", "seq", "uuid")

    def __init__(self, uuid_: str, start_ms: int) -> None:
        self.uuid = uuid_
        self.seq = 0  # shared by events and samples, as in the tracker
        self.counters = _Counters()
        self.dirty = False
        self.sampled = False
        # the first sample is due one interval after the start
        self.last_sample_ms = start_ms


def subtitle_lines(count: int, seed: int = DEFAULT_SEED) -> list[str]:
    """``count`` distinct subtitle lines of the history's kind (the tracker drops repeats)."""
    pool = [text for text, _, _, _ in History._line_pool(random.Random(seed))]
    return [f"{pool[index % len(pool)]} {index}" for index in range(count)]
