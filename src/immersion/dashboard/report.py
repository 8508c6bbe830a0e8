"""``immersion report --html``: the dashboard as one self-contained, shareable HTML file.

The report is the dashboard's own page with its stylesheets and scripts inlined and the API
responses it needs embedded as JSON (keyed by the API path that produced them, so the page's
script reads them instead of fetching). It references no URL at all, so it opens offline in
any browser; a Content-Security-Policy ``<meta>`` allows only the report's own inline
scripts (by hash) and no network access.

Embedding rules: JSON goes in ``<script type="application/json">`` with every ``<``, ``>``
and ``&`` written as a ``\\u`` escape, so no data (a title like ``</script><script>``) can
end the element or open a comment; inlined code is checked to contain no ``</script``,
``</style`` or ``<!--``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analytics import GROUP_BYS, RANGES
from ..store import ImmersionTrackingStore
from . import api

__all__ = ["ReportError", "build_report", "default_group_by", "render_report", "write_report"]

STATIC_DIR = Path(__file__).parent / "static"
RECENT_SESSIONS = 8  # the overview's "recent sessions" (app.js loads the same paths)
LISTED_SESSIONS = 50


class ReportError(RuntimeError):
    """The page template or an inlined file cannot be embedded safely."""


def default_group_by(range_name: str) -> str:
    """Days for short ranges, months for a year or more (a year of daily bars is noise)."""
    return "day" if range_name in ("7d", "30d", "90d") else "month"


@dataclass(frozen=True, slots=True)
class _Inline:
    tag: str  # the tag in the page template
    kind: str  # "style" or "script"
    path: Path


_INLINES = (
    _Inline('<link rel="stylesheet" href="/static/vendor/uplot.min.css">', "style",
            STATIC_DIR / "vendor" / "uplot.min.css"),
    _Inline('<link rel="stylesheet" href="/static/app.css">', "style", STATIC_DIR / "app.css"),
    _Inline('<script src="/static/vendor/uplot.min.js"></script>', "script",
            STATIC_DIR / "vendor" / "uplot.min.js"),
    _Inline('<script src="/static/charts.js"></script>', "script", STATIC_DIR / "charts.js"),
    _Inline('<script src="/static/app.js"></script>', "script", STATIC_DIR / "app.js"),
)  # fmt: skip
_FAVICON = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">\n'


def build_report(
    store: ImmersionTrackingStore,
    *,
    today: dt.date,
    range_name: str = "30d",
    group_by: str | None = None,
    generated: str,
) -> dict[str, Any]:
    """The data a report embeds: the API responses its pages load, keyed by API path.

    ``generated`` is shown on the page as when the report was made. ``ValueError`` for an
    unknown range or grouping.
    """
    group_by = group_by or default_group_by(range_name)
    if range_name not in RANGES or group_by not in GROUP_BYS:
        raise ValueError(
            f"range must be one of {', '.join(RANGES)} and group_by one of "
            f"{', '.join(GROUP_BYS)}, not {range_name!r} / {group_by!r}"
        )
    sessions = api.sessions_payload(store, LISTED_SESSIONS)
    return {
        "generated": generated,
        "range": range_name,
        "group_by": group_by,
        "data": {
            "/api/overview": api.overview_payload(store, today),
            "/api/calendar?days=365": api.calendar_payload(store, today, 365),
            "/api/daily?days=30": api.daily_payload(store, today, 30),
            f"/api/trends?range={range_name}&group_by={group_by}": api.trends_payload(
                store, today, range_name, group_by
            ),
            f"/api/sessions?limit={RECENT_SESSIONS}": {
                "sessions": sessions["sessions"][:RECENT_SESSIONS]
            },
            f"/api/sessions?limit={LISTED_SESSIONS}": sessions,
            "/api/library": api.library_payload(store),
        },
    }


def embed_json(data: Any) -> str:
    """``data`` as JSON that cannot end its ``<script>`` element or start a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # Inside JSON these characters only occur in strings, where \u escapes mean the same.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _checked(text: str, kind: str, name: str) -> str:
    if re.search(rf"</{kind}", text, re.IGNORECASE) or "<!--" in text:
        raise ReportError(f"{name} contains '</{kind}' or '<!--' and cannot be inlined")
    return text


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _replace_once(page: str, old: str, new: str) -> str:
    if page.count(old) != 1:
        raise ReportError(f"the page template must contain {old!r} exactly once")
    return page.replace(old, new)


def render_report(data: dict[str, Any]) -> str:
    """The self-contained HTML page showing ``data`` (from ``build_report``)."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    page = _replace_once(page, _FAVICON, "")
    page = _replace_once(
        page, "<title>Immersion dashboard</title>", "<title>Immersion report</title>"
    )
    hashes: dict[str, list[str]] = {"style": [], "script": []}
    for inline in _INLINES:
        text = _checked(inline.path.read_text(encoding="utf-8"), inline.kind, inline.path.name)
        hashes[inline.kind].append(_hash(text))
        element = f"<{inline.kind}>{text}</{inline.kind}>"
        if inline.path.name == "uplot.min.js":  # the data goes before the first script
            data_block = f'<script type="application/json" id="embedded-data">{embed_json(data)}'
            element = f"{data_block}</script>\n{element}"
        page = _replace_once(page, inline.tag, element)
    policy = "; ".join(
        (
            "default-src 'none'",
            "script-src " + " ".join(hashes["script"]),
            "style-src " + " ".join(hashes["style"]),
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    meta = f'<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return _replace_once(page, '<meta charset="utf-8">', meta)


def write_report(
    store: ImmersionTrackingStore,
    out: Path,
    *,
    today: dt.date,
    range_name: str = "30d",
    group_by: str | None = None,
    generated: str,
) -> Path:
    """Write the report of ``store`` to ``out`` (replaced atomically); returns ``out``."""
    data = build_report(
        store, today=today, range_name=range_name, group_by=group_by, generated=generated
    )
    html = render_report(data)
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        temporary.write_text(html, encoding="utf-8")
        os.replace(temporary, out)  # a reader never sees half a report
    finally:
        temporary.unlink(missing_ok=True)
    return out
