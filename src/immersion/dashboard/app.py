"""The dashboard's Starlette application: the page, its static files and the JSON API.

Read-only by construction: every route answers ``GET`` (and ``HEAD``) only, so any other
method gets ``405``; there is no CORS (no ``Access-Control-*`` header, so other origins cannot
read the API). Every response carries a strict Content-Security-Policy (scripts and styles
from this origin only, nothing inline), ``nosniff``, ``no-referrer`` and ``DENY`` framing.
Requests naming a host other than the loopback names are refused, so a web page cannot reach
the dashboard through DNS rebinding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..analytics import GROUP_BYS, RANGES
from ..errors import StoreError
from ..localtime import local_today
from ..store import ImmersionTrackingStore
from . import api

__all__ = ["LOOPBACK_HOSTS", "SECURITY_HEADERS", "STATIC_DIR", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def create_app(
    store: ImmersionTrackingStore,
    *,
    today: Callable[[], dt.date] | None = None,
    allowed_hosts: Collection[str] | None = LOOPBACK_HOSTS,
) -> Starlette:
    """The dashboard over ``store`` (which the caller opens and closes).

    ``today`` names the learner's current local day (default: today in the system's zone);
    ``allowed_hosts``: the ``Host`` header names accepted (``None``: any, for a dashboard
    deliberately served on another address).
    """
    routes = [
        Route("/", _index, methods=["GET"]),
        Route("/api/overview", _overview, methods=["GET"]),
        Route("/api/calendar", _calendar, methods=["GET"]),
        Route("/api/trends", _trends, methods=["GET"]),
        Route("/api/daily", _daily, methods=["GET"]),
        Route("/api/sessions", _sessions, methods=["GET"]),
        Route("/api/sessions/{session_uuid}", _session, methods=["GET"]),
        Route("/api/library", _library, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            api.ApiError: _api_error,
            StoreError: _store_error,
            HTTPException: _http_error,
        },
    )
    app.state.store = store
    app.state.today = today if today is not None else local_today
    hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)
    app.add_middleware(_Guard, allowed_hosts=hosts)
    return app


def _index(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


# Endpoints are plain functions: Starlette runs them in its thread pool, so a slow store read
# never blocks the event loop (stores may be read from any thread).


def _store(request: Request) -> ImmersionTrackingStore:
    store: ImmersionTrackingStore = request.app.state.store
    return store


def _today(request: Request) -> dt.date:
    today: Callable[[], dt.date] = request.app.state.today
    return today()


def _json(payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


def _overview(request: Request) -> Response:
    return _json(api.overview_payload(_store(request), _today(request)))


def _calendar(request: Request) -> Response:
    days = api.int_param(request.query_params, "days", 365, 1, 3_660)
    return _json(api.calendar_payload(_store(request), _today(request), days))


def _trends(request: Request) -> Response:
    range_name = api.choice_param(request.query_params, "range", "30d", tuple(RANGES))
    group_by = api.choice_param(request.query_params, "group_by", "day", GROUP_BYS)
    return _json(api.trends_payload(_store(request), _today(request), range_name, group_by))


def _daily(request: Request) -> Response:
    days = api.int_param(request.query_params, "days", 30, 1, 366)
    return _json(api.daily_payload(_store(request), _today(request), days))


def _sessions(request: Request) -> Response:
    limit = api.int_param(request.query_params, "limit", 50, 1, 1_000)
    return _json(api.sessions_payload(_store(request), limit))


def _session(request: Request) -> Response:
    session_uuid: str = request.path_params["session_uuid"]
    if len(session_uuid) > 36:  # no store holds a longer UUID
        raise api.ApiError(404, "no such session")
    return _json(api.session_payload(_store(request), session_uuid))


def _library(request: Request) -> Response:
    return _json(api.library_payload(_store(request)))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, api.ApiError)
    return _error(exc.status, exc.message)


async def _store_error(request: Request, exc: Exception) -> Response:
    # The store's messages are written for people and name no secrets (URLs are redacted).
    return _error(503, f"the store could not be read: {exc}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, exc.detail, dict(exc.headers or {}))


def host_name(host_header: str) -> str:
    """The name of a ``Host`` header without its port: ``[::1]:6969`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class _Guard:
    """Adds the security headers to every response; refuses unexpected ``Host`` headers."""

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str] | None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in SECURITY_HEADERS.items()
                )
                message = {**message, "headers": headers}
            await send(message)

        if self.allowed_hosts is not None:
            host = host_name(Headers(scope=scope).get("host", ""))
            if host not in self.allowed_hosts:
                refusal = PlainTextResponse("Invalid Host header", status_code=400)
                await refusal(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)
