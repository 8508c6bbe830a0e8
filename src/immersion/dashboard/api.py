"""The dashboard's JSON API: read-only payloads built from ``ImmersionTrackingStore`` reads.

Each ``*_payload`` function is plain Python over a store, with no web framework involved: the
HTML report embeds the same payloads, and ``app`` only validates query parameters (with
``int_param`` / ``choice_param``) and wraps a payload in a response. Result dataclasses are
serialized generically by ``to_json``: field names stay the store's public names, dates
become ISO strings and enums their lower-case name.

A bad parameter is an ``ApiError`` (``400``, served as ``{"error": message}``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Mapping
from typing import Any

from ..domain import EventType
from ..store import ImmersionTrackingStore

__all__ = [
    "MARKER_EVENT_TYPES",
    "ApiError",
    "calendar_payload",
    "choice_param",
    "daily_payload",
    "int_param",
    "library_payload",
    "overview_payload",
    "session_payload",
    "sessions_payload",
    "to_json",
    "trends_payload",
]

# The session timeline is downsampled to this many samples: a chart cannot show more points
# than it has pixels, and a three-hour session sampled every second would be megabytes.
MAX_TIMELINE_POINTS = 600
# Marker events per session detail (subtitle lines are left out: they are the bulk of events).
MAX_MARKER_EVENTS = 2_000
MARKER_EVENT_TYPES = (
    EventType.PAUSE_START,
    EventType.PAUSE_END,
    EventType.SEEK_FORWARD,
    EventType.SEEK_BACKWARD,
    EventType.CARD_MINED,
    EventType.LOOKUP,
    EventType.DICTIONARY_LOOKUP,
    EventType.MEDIA_BUFFER,
)
# The stacked "watch time per day" chart shows this many videos; the rest are summed.
MAX_STACKED_VIDEOS = 7
OTHER_VIDEOS_KEY = "(other)"


class ApiError(Exception):
    """A request the API refuses: ``status`` and a message meant for a person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def to_json(value: Any) -> Any:
    """A JSON-ready copy of a result: dataclasses -> dicts of their fields, dates -> ISO
    strings, enums -> lower-case names, sequences -> lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, dt.date):  # also datetimes
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


# --------------------------------------------------------------------- payloads


def overview_payload(store: ImmersionTrackingStore, today: dt.date) -> dict[str, Any]:
    """Headline numbers of ``today``: ``{"today": ISO day, "overview": Overview}``."""
    return {"today": today.isoformat(), "overview": to_json(store.overview(today=today))}


def calendar_payload(store: ImmersionTrackingStore, today: dt.date, days: int) -> dict[str, Any]:
    """Active minutes of each of the last ``days`` days ending ``today``, oldest first."""
    return {
        "today": today.isoformat(),
        "days": to_json(store.streak_calendar(days=days, today=today)),
    }


def trends_payload(
    store: ImmersionTrackingStore, today: dt.date, range_name: str, group_by: str
) -> dict[str, Any]:
    """``Trends`` of one range, bucketed by day or month."""
    result: dict[str, Any] = to_json(store.trends(range=range_name, group_by=group_by, today=today))
    return result


def daily_payload(store: ImmersionTrackingStore, today: dt.date, days: int) -> dict[str, Any]:
    """Watch time per day of the last ``days`` days, per video, ready to stack.

    ``rows`` are the store's daily rollups inside the window; ``shows`` has one zero-filled
    series of active minutes per video (the ``MAX_STACKED_VIDEOS`` with most time, the rest
    summed under ``"(other)"``), most watched first; ``days`` are the window's ISO days.
    """
    start = today - dt.timedelta(days=days - 1)
    # Latest `days` days WITH rows: every day of the window that has rows is among them.
    rows = [row for row in store.daily_rollups(limit_days=days) if start <= row.day <= today]
    day_keys = [(start + dt.timedelta(days=n)).isoformat() for n in range(days)]
    index = {key: n for n, key in enumerate(day_keys)}
    per_video: dict[str, list[float]] = {}
    for row in rows:
        series = per_video.setdefault(row.video_key, [0.0] * days)
        series[index[row.day.isoformat()]] += row.active_min
    ranked = sorted(per_video.items(), key=lambda item: (-sum(item[1]), item[0]))
    shown, rest = ranked[:MAX_STACKED_VIDEOS], ranked[MAX_STACKED_VIDEOS:]
    shows = [_show(key, _title(store, key), minutes) for key, minutes in shown]
    if rest:
        other = [sum(series[n] for _, series in rest) for n in range(days)]
        shows.append(_show(OTHER_VIDEOS_KEY, f"{len(rest)} other videos", other))
    return {
        "start": start.isoformat(),
        "end": today.isoformat(),
        "days": day_keys,
        "shows": shows,
        "rows": to_json(rows),
    }


def sessions_payload(store: ImmersionTrackingStore, limit: int) -> dict[str, Any]:
    """The latest ``limit`` session summaries, newest first."""
    return {"sessions": to_json(store.session_summaries(limit=limit))}


def session_payload(store: ImmersionTrackingStore, session_uuid: str) -> dict[str, Any]:
    """One session: its summary, telemetry timeline (oldest first, downsampled) and marker
    events (pauses, seeks, cards, lookups, buffering; oldest first). ``ApiError`` 404 when
    the store does not hold it."""
    session = store.get_session(session_uuid)
    if session is None:
        raise ApiError(404, f"no session {session_uuid!r} (sessions are kept for 30 days)")
    samples = store.session_timeline(session_uuid)
    samples.reverse()  # the store gives newest first; a chart wants time order
    events = store.session_events(
        session_uuid, limit=MAX_MARKER_EVENTS + 1, event_types=MARKER_EVENT_TYPES
    )
    return {
        "session": to_json(session),
        "title": _title(store, session.video_key),
        "timeline_samples": len(samples),
        "timeline": to_json(_downsample(samples, MAX_TIMELINE_POINTS)),
        "events": to_json(events[:MAX_MARKER_EVENTS]),
        "events_truncated": len(events) > MAX_MARKER_EVENTS,
    }


def library_payload(store: ImmersionTrackingStore) -> dict[str, Any]:
    """Per-video lifetime totals, most recently watched first."""
    return {"videos": to_json(store.video_stats())}


def _title(store: ImmersionTrackingStore, video_key: str) -> str:
    video = store.get_video(video_key)
    return video.title if video is not None else video_key


def _show(key: str, title: str, minutes: list[float]) -> dict[str, Any]:
    rounded = [round(value, 3) for value in minutes]
    return {
        "video_key": key,
        "title": title,
        "active_min": rounded,
        "total_min": round(sum(minutes), 3),
    }


def _downsample(items: list[Any], limit: int) -> list[Any]:
    """At most ``limit`` items spread evenly, always keeping the first and the last."""
    if len(items) <= limit:
        return items
    step = (len(items) - 1) / (limit - 1)
    return [items[round(n * step)] for n in range(limit)]


# --------------------------------------------------------------------- parameters


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as an integer in ``[low, high]``; ``ApiError`` 400 if not."""
    raw = params.get(name)
    if raw is None:
        return default
    # ASCII digits only (int() would also take "+5", " 5" and other scripts' digits).
    if re.fullmatch(r"-?[0-9]{1,12}", raw) is None:
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, not {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, not {value}")
    return value


def choice_param(
    params: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]
) -> str:
    """Query parameter ``name`` as one of ``choices``; ``ApiError`` 400 if not."""
    value = params.get(name, default)
    if value not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value
