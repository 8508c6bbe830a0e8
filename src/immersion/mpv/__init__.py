"""Track real playback in mpv through its JSON IPC (domain reference §3).

- ``ipc``: the socket client (``connect``, ``MpvIpcClient``), its reader thread and errors;
- ``bridge``: ``MpvBridge``, which turns mpv's property changes and events into tracker calls;
- ``launcher``: ``launched_mpv``, mpv started with a socket in a private temporary directory;
- ``recorder``: ``record_mpv``, one mpv followed into a tracker until it quits or Ctrl-C.
"""

from __future__ import annotations

from .bridge import OBSERVED_PROPERTIES, BridgeStats, MpvBridge
from .ipc import (
    IpcStats,
    MpvCommandError,
    MpvConnectError,
    MpvIpcClient,
    MpvIpcError,
    connect,
)
from .launcher import (
    MpvNotInstalledError,
    MpvProcess,
    check_mpv_args,
    find_mpv,
    launched_mpv,
)
from .recorder import Recording, record_mpv

__all__ = [
    "OBSERVED_PROPERTIES",
    "BridgeStats",
    "IpcStats",
    "MpvBridge",
    "MpvCommandError",
    "MpvConnectError",
    "MpvIpcClient",
    "MpvIpcError",
    "MpvNotInstalledError",
    "MpvProcess",
    "Recording",
    "check_mpv_args",
    "connect",
    "find_mpv",
    "launched_mpv",
    "record_mpv",
]
