"""What the dashboard answers at the HTTP level: security headers on every response, GET
only, no CORS, loopback host names only, a page without inline code, friendly empty states
and store failures as a JSON 503."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from immersion.dashboard.app import STATIC_DIR, create_app, host_name
from immersion.errors import TransientStoreError
from immersion.results import Overview
from immersion.stores.memory import MemoryStore

TODAY = dt.date(2026, 3, 5)
API_PATHS = [
    "/api/overview",
    "/api/calendar",
    "/api/trends",
    "/api/daily",
    "/api/sessions",
    "/api/sessions/00000000-0000-0000-0000-000000000000",
    "/api/library",
]
PAGE_PATHS = ["/", "/static/app.js", "/static/charts.js", "/static/app.css"]
SECURITY_HEADERS = {
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
}


@pytest.fixture
def empty_store() -> Iterator[MemoryStore]:
    store = MemoryStore(timezone="UTC")
    store.create_or_upgrade_schema()
    yield store
    store.close()


@pytest.fixture
def client(empty_store: MemoryStore) -> Iterator[TestClient]:
    app = create_app(empty_store, today=lambda: TODAY)
    with TestClient(app, base_url="http://127.0.0.1:6969") as client:
        yield client


def assert_secure(headers: dict[str, str] | object) -> None:
    assert isinstance(headers, dict) or hasattr(headers, "get")
    get = headers.get  # type: ignore[attr-defined]
    policy = get("content-security-policy")
    assert policy is not None and "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "no-referrer"
    assert get("x-frame-options") == "DENY"
    assert get("access-control-allow-origin") is None


@pytest.mark.parametrize("path", [*API_PATHS, *PAGE_PATHS, "/nowhere", "/static/nothing.js"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://evil.example"})
    assert response.status_code in (200, 404)
    assert_secure(response.headers)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", [*API_PATHS, *PAGE_PATHS])
def test_nothing_but_get_is_answered(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, content=b"{}")
    assert response.status_code == 405
    assert_secure(response.headers)


def test_a_cors_preflight_is_refused(client: TestClient) -> None:
    response = client.options(
        "/api/overview",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 405
    assert_secure(response.headers)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:6969", "127.0.0.1.nip.io"])
def test_other_host_names_are_refused(client: TestClient, host: str) -> None:
    """A page on another site that rebinds its name to 127.0.0.1 cannot read the data."""
    response = client.get("/api/overview", headers={"Host": host})
    assert response.status_code == 400
    assert_secure(response.headers)


@pytest.mark.parametrize("host", ["127.0.0.1:6969", "localhost", "LOCALHOST:1", "[::1]:6969"])
def test_loopback_host_names_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/overview", headers={"Host": host}).status_code == 200


def test_any_host_is_served_when_asked(empty_store: MemoryStore) -> None:
    app = create_app(empty_store, today=lambda: TODAY, allowed_hosts=None)
    with TestClient(app, base_url="http://192.0.2.7") as client:
        assert client.get("/api/overview").status_code == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:6969", "127.0.0.1"),
        ("[::1]:80", "::1"),
        ("[::1]", "::1"),
        ("Example", "example"),
    ],
)
def test_host_name_drops_the_port(header: str, name: str) -> None:
    assert host_name(header) == name


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def test_the_page_has_no_inline_code_and_only_local_resources(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    parser = _PageParser()
    parser.feed(response.text)
    assert parser.script_text == []  # CSP script-src 'self' would block inline scripts
    for tag, attrs in parser.tags:
        assert "style" not in attrs and not any(name.startswith("on") for name in attrs), tag
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, value)
    scripts = [attrs["src"] for tag, attrs in parser.tags if tag == "script"]
    assert scripts == ["/static/vendor/uplot.min.js", "/static/charts.js", "/static/app.js"]
    for src in scripts:
        served = client.get(str(src))
        assert served.status_code == 200
        assert "javascript" in served.headers["content-type"]


def test_the_vendored_chart_library_ships_with_its_license() -> None:
    vendor = STATIC_DIR / "vendor"
    assert "MIT License" in (vendor / "uplot.LICENSE").read_text()
    assert (vendor / "uplot.min.js").stat().st_size > 10_000


def test_an_empty_store_gives_empty_but_complete_answers(client: TestClient) -> None:
    overview = client.get("/api/overview").json()["overview"]
    assert overview["total_sessions"] == 0 and overview["all_time_hours"] == 0
    calendar = client.get("/api/calendar").json()["days"]
    assert len(calendar) == 365 and all(day["active_min"] == 0 for day in calendar)
    daily = client.get("/api/daily").json()
    assert daily["shows"] == [] and daily["rows"] == [] and len(daily["days"]) == 30
    trends = client.get("/api/trends?range=all&group_by=month").json()
    assert trends["videos"] == [] and trends["start"] == trends["end"] == "2026-03-05"
    assert client.get("/api/sessions").json() == {"sessions": []}
    assert client.get("/api/library").json() == {"videos": []}


class _BrokenStore(MemoryStore):
    def overview(self, today: dt.date | None = None) -> Overview:
        raise TransientStoreError("database is locked")


def test_a_failing_store_is_a_json_503() -> None:
    store = _BrokenStore()
    with TestClient(create_app(store, today=lambda: TODAY), base_url="http://localhost") as client:
        response = client.get("/api/overview")
    assert response.status_code == 503
    assert "database is locked" in response.json()["error"]
    assert_secure(response.headers)
