"""``immersion report --html``: one self-contained file whose embedded data is the store's
reads, which references no URL, and whose inlined data cannot break out of its element."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from immersion.dashboard import report
from immersion.dashboard.report import ReportError, embed_json, render_report, write_report
from immersion.store import ImmersionTrackingStore

from .conftest import SCRIPT_TITLE, TODAY, plain

URL = re.compile(r"(?i)\b(?:https?:|ftp:)?//")


class _Report(HTMLParser):
    """Every tag with its attributes, and the text of every script and style element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._open = tag if tag in ("script", "style") else None
        if tag == "script":
            self.scripts.append((attributes, ""))
        elif tag == "style":
            self.styles.append("")

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._open == "style":
            self.styles[-1] += data

    def handle_endtag(self, tag: str) -> None:
        self._open = None


@pytest.fixture(scope="module")
def written(
    filled_store: ImmersionTrackingStore, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, _Report]:
    out = tmp_path_factory.mktemp("report") / "immersion report.html"
    write_report(filled_store, out, today=TODAY, range_name="90d", generated="2026-03-05 21:00")
    html = out.read_text(encoding="utf-8")
    parsed = _Report()
    parsed.feed(html)
    return html, parsed


def embedded(parsed: _Report) -> dict[str, object]:
    blocks = [text for attrs, text in parsed.scripts if attrs.get("type") == "application/json"]
    assert len(blocks) == 1
    data: dict[str, object] = json.loads(blocks[0])
    return data


def test_embedded_data_is_the_stores_reads(
    written: tuple[str, _Report], filled_store: ImmersionTrackingStore
) -> None:
    data = embedded(written[1])
    assert (data["range"], data["group_by"], data["generated"]) == (
        "90d",
        "day",
        "2026-03-05 21:00",
    )
    api = data["data"]
    assert isinstance(api, dict)
    assert api["/api/overview"] == {
        "today": "2026-03-05",
        "overview": plain(filled_store.overview(TODAY)),
    }
    assert api["/api/calendar?days=365"]["days"] == plain(filled_store.streak_calendar(365, TODAY))
    assert api["/api/trends?range=90d&group_by=day"] == plain(
        filled_store.trends("90d", "day", TODAY)
    )
    assert api["/api/sessions?limit=50"] == {"sessions": plain(filled_store.session_summaries(50))}
    assert api["/api/sessions?limit=8"] == {"sessions": plain(filled_store.session_summaries(8))}
    assert api["/api/library"] == {"videos": plain(filled_store.video_stats())}
    daily = api["/api/daily?days=30"]
    assert daily["rows"] == plain(filled_store.daily_rollups(limit_days=30))  # all within 30 days
    assert SCRIPT_TITLE in [v["title"] for v in api["/api/library"]["videos"]]


def test_no_external_url_is_referenced(written: tuple[str, _Report]) -> None:
    """No attribute, stylesheet or code names anything outside the file."""
    html, parsed = written
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "data", "poster", "srcset"):
            value = attrs.get(name)  # only in-page links (the tabs' #fragments)
            assert value is None or value.startswith("#"), (tag, name, value)
    assert not [tag for tag, attrs in parsed.tags if tag in ("link", "iframe", "img", "object")]
    for css in parsed.styles:
        assert "url(" not in css.replace("url(data:", "")
        assert "@import" not in css
    # Outside the embedded data (where a stream's URL is just a video key): no URL in the
    # text but SVG's namespace name and the chart library's home page in its comment.
    data = next(text for attrs, text in parsed.scripts if attrs.get("type") == "application/json")
    rest = html.replace(data, "")
    urls = set(re.findall(r"https?://[^\s\"')]+", rest))
    assert urls <= {"http://www.w3.org/2000/svg", "https://github.com/leeoniya/uPlot"}


def test_the_page_allows_only_its_own_inline_scripts(written: tuple[str, _Report]) -> None:
    parsed = written[1]
    policy = next(
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None and "default-src 'none'" in policy
    code = [text for attrs, text in parsed.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 3  # chart library, charts, app
    for text in code + parsed.styles:
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_titles_never_reach_the_markup_unescaped(written: tuple[str, _Report]) -> None:
    html, _ = written
    assert SCRIPT_TITLE not in html and "<img src=x" not in html
    assert html.count("<script") == 4  # the data block and three code blocks, nothing else


def test_embedded_json_cannot_end_its_element() -> None:
    tricky = {"title": "</script><!--<script>alert(1)</script>-->&amp;\u2028"}
    text = embed_json(tricky)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == tricky


def test_code_that_would_end_its_element_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "app.js"
    bad.write_text('console.log("</script>")', encoding="utf-8")
    inlines = tuple(
        report._Inline(i.tag, i.kind, bad if i.path.name == "app.js" else i.path)
        for i in report._INLINES
    )
    monkeypatch.setattr(report, "_INLINES", inlines)
    with pytest.raises(ReportError, match=r"app\.js"):
        render_report({"data": {}})


def test_an_unknown_range_is_refused(filled_store: ImmersionTrackingStore, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="range"):
        write_report(filled_store, tmp_path / "r.html", today=TODAY, range_name="1y", generated="")
    assert list(tmp_path.iterdir()) == []
