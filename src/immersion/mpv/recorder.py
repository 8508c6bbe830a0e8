"""``record_mpv``: follow one mpv over IPC into a tracker until mpv quits or Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..clock import Clock
from ..tracker import Tracker
from .bridge import BridgeStats, MpvBridge
from .ipc import IpcStats, MpvCommandError, connect

__all__ = ["Recording", "record_mpv"]


@dataclass(frozen=True, slots=True)
class Recording:
    """What one ``record_mpv`` did: the sessions it started (in order), whether it ended
    by Ctrl-C, and the counters of the connection and of the bridge."""

    sessions: tuple[str, ...]
    interrupted: bool
    ipc: IpcStats
    bridge: BridgeStats


def record_mpv(
    tracker: Tracker,
    socket_path: str | Path,
    *,
    connect_timeout_s: float = 10.0,
    working_directory: str | None = None,
    alive: Callable[[], bool] | None = None,
    clock: Clock | None = None,
    on_connected: Callable[[], None] | None = None,
) -> Recording:
    """Connect to the mpv at ``socket_path`` and record into ``tracker`` until the
    connection ends (mpv quit) or Ctrl-C; either way the session in progress is ended.

    Raises ``MpvConnectError`` when no mpv answers within ``connect_timeout_s`` (``alive``,
    ``clock``: see ``immersion.mpv.ipc.connect``). The tracker is neither flushed nor closed
    here: that is the caller's, which owns it. ``on_connected`` runs once mpv answered.
    """
    bridge = MpvBridge(tracker, working_directory=working_directory)
    client = connect(
        socket_path,
        on_event=bridge.handle_event,
        on_close=bridge.finish,
        timeout_s=connect_timeout_s,
        alive=alive,
        clock=clock,
    )
    interrupted = False
    try:
        if on_connected is not None:
            on_connected()
        try:
            bridge.observe(client)
        except MpvCommandError:
            if not client.closed:
                raise
            # mpv quit right after we connected (a file it could not open): nothing to follow
        # A timed wait, so Ctrl-C is handled promptly on every platform.
        while not client.wait_closed(0.25):
            pass
    except KeyboardInterrupt:
        interrupted = True
    finally:
        client.close()
        bridge.finish()  # also when the reader could not be joined in time
    return Recording(bridge.stats().sessions, interrupted, client.stats(), bridge.stats())
