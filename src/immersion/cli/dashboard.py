"""``immersion dashboard`` (the local web dashboard) and ``immersion report --html``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import webbrowser
from pathlib import Path

import click

from ..analytics import GROUP_BYS, RANGES
from ..localtime import local_today, zone_named
from .options import open_store, resolve_config, store_options

__all__ = ["dashboard", "report"]

DEFAULT_HOST = "127.0.0.1"
_EXTRA_HINT = 'the dashboard needs its extra: pip install "immersion-tracker[dashboard]"'


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): only this machine reaches it."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before the browser is opened so its request cannot race the
    server's start (the connection waits in the backlog)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; try another --port"
        ) from None


def _url(host: str, port: int) -> str:
    bare = host.strip("[]")
    if bare in ("0.0.0.0", "::"):  # every interface: this machine reaches it on loopback
        bare = DEFAULT_HOST
    return f"http://[{bare}]:{port}/" if ":" in bare else f"http://{bare}:{port}/"


@click.command()
@store_options
@click.option("--port", default=6969, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--host",
    default=None,
    help=f"Address to listen on [default: {DEFAULT_HOST}]. Any non-loopback address lets "
    "other machines read your data: the dashboard has no login.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in a browser.")
def dashboard(
    config_path: Path | None, db: Path | None, port: int, host: str | None, open_browser: bool
) -> None:
    """Serve the read-only dashboard of the configured store on this machine."""
    try:
        import uvicorn

        from ..dashboard.app import LOOPBACK_HOSTS, create_app
    except ImportError:
        raise click.ClickException(_EXTRA_HINT) from None
    bind = host if host is not None else DEFAULT_HOST
    local = is_loopback(bind)
    if not local:
        click.echo(
            f"warning: listening on {bind}: anyone who can reach this address can read your "
            "immersion data (the dashboard has no login)",
            err=True,
        )
    config = resolve_config(config_path, db)
    zone = zone_named(config.timezone)
    store = open_store(config)
    try:
        app = create_app(
            store,
            today=lambda: local_today(zone),
            # Loopback: only the names this machine uses (guards against DNS rebinding).
            allowed_hosts=(LOOPBACK_HOSTS | {bind.strip("[]").lower()}) if local else None,
        )
        listener = _listen(bind, port)
        url = _url(bind, listener.getsockname()[1])
        click.echo(f"Dashboard on {url} (read-only; Ctrl+C stops it)")
        if open_browser:
            webbrowser.open(url)
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False)
        )
        server.run(sockets=[listener])
    finally:
        store.close()


@click.command()
@store_options
@click.option(
    "--html",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this HTML file (replaced if it exists).",
)
@click.option(
    "--range", "range_name", default="30d", show_default=True, type=click.Choice(list(RANGES))
)
@click.option(
    "--group-by",
    type=click.Choice(list(GROUP_BYS)),
    default=None,
    help="Trend buckets [default: day up to 90d, month beyond].",
)
def report(
    config_path: Path | None, db: Path | None, out: Path, range_name: str, group_by: str | None
) -> None:
    """Write a self-contained HTML report (overview and trends) that opens offline."""
    from ..dashboard.report import write_report

    config = resolve_config(config_path, db)
    zone = zone_named(config.timezone)
    store = open_store(config)
    try:
        now = dt.datetime.now(zone) if zone is not None else dt.datetime.now().astimezone()
        write_report(
            store,
            out,
            today=local_today(zone),
            range_name=range_name,
            group_by=group_by,
            generated=now.strftime("%Y-%m-%d %H:%M"),
        )
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        store.close()
    click.echo(f"Wrote {out} ({out.stat().st_size // 1024} KiB); it opens offline in any browser.")
