"""``immersion dashboard`` and ``immersion report`` on the command line. The server itself is
replaced by a recorder here (the browser test serves for real)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from immersion.cli import main
from immersion.cli.dashboard import is_loopback


class _Served:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> _Served:
    """Record what ``uvicorn.Server.run`` would serve instead of serving it."""
    record = _Served()

    def fake_run(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        assert sockets is not None
        record.calls.append({"app": server.config.app, "address": sockets[0].getsockname()})
        for listener in sockets:
            listener.close()

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    return record


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: urls.append(url))
    return urls


def test_dashboard_binds_to_loopback_by_default(
    served: _Served, opened: list[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["dashboard", "--db", str(tmp_path / "d.sqlite"), "--port", "0"]
    )
    assert result.exit_code == 0, result.output
    (call,) = served.calls
    host, port = call["address"][:2]
    assert host == "127.0.0.1" and port > 0
    assert f"http://127.0.0.1:{port}/" in result.output
    assert "warning" not in result.output
    assert opened == []


def test_open_opens_the_browser_on_the_dashboard(
    served: _Served, opened: list[str], tmp_path: Path
) -> None:
    args = ["dashboard", "--db", str(tmp_path / "d.sqlite"), "--port", "0", "--open"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    port = served.calls[0]["address"][1]
    assert opened == [f"http://127.0.0.1:{port}/"]


def test_another_host_only_when_asked_and_with_a_warning(
    served: _Served, opened: list[str], tmp_path: Path
) -> None:
    args = ["dashboard", "--db", str(tmp_path / "d.sqlite"), "--port", "0", "--host", "0.0.0.0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "warning: listening on 0.0.0.0" in result.output
    assert served.calls[0]["address"][0] == "0.0.0.0"


def test_a_busy_port_is_a_clear_error(served: _Served, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        args = ["dashboard", "--db", str(tmp_path / "d.sqlite"), "--port", str(port)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
    assert served.calls == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("192.168.1.5", False), ("my-laptop", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_report_writes_a_self_contained_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["report", "--db", str(tmp_path / "d.sqlite"), "--html", str(out), "--range", "all"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and 'id="embedded-data"' in html
    assert '"range":"all","group_by":"month"' in html
    assert f"Wrote {out}" in result.output


def test_report_refuses_an_unknown_range(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["report", "--db", str(tmp_path / "d.sqlite"), "--html", str(out), "--range", "1y"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "1y" in result.output
    assert not out.exists()


def test_report_into_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "no such directory" / "report.html"
    args = ["report", "--db", str(tmp_path / "d.sqlite"), "--html", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "cannot write" in result.output and "Traceback" not in result.output
