"""Start mpv with an IPC socket in a private temporary directory (``launched_mpv``).

The socket lives in a fresh directory of mode 0700, so no other local user can connect to it
and drive the player (mpv's IPC can run arbitrary commands). The directory is removed when
the context ends, after mpv has been stopped if it still runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .ipc import MpvIpcError

__all__ = [
    "MpvNotInstalledError",
    "MpvProcess",
    "check_mpv_args",
    "find_mpv",
    "launched_mpv",
    "mpv_command",
]

NOT_INSTALLED = "mpv is not installed: apt-get install mpv (or see https://mpv.io)"
_IPC_OPTION = "--input-ipc-server"


class MpvNotInstalledError(MpvIpcError):
    """No mpv executable was found on the ``PATH``."""


def find_mpv(executable: str = "mpv") -> str:
    """The full path of the mpv executable; raises ``MpvNotInstalledError``."""
    found = shutil.which(executable)
    if found is None:
        raise MpvNotInstalledError(NOT_INSTALLED)
    return found


@dataclass(frozen=True)
class MpvProcess:
    """An mpv we started, and the socket it listens on."""

    process: subprocess.Popen[bytes]
    socket_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout_s: float) -> int | None:
        """mpv's exit code, or ``None`` if it still runs after ``timeout_s``."""
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace_s: float = 3.0) -> int:
        """Ask mpv to quit (SIGTERM), kill it after ``grace_s``; returns its exit code."""
        if self.alive():
            self.process.terminate()
            if self.wait(grace_s) is None:
                self.process.kill()
        return self.process.wait()


def check_mpv_args(mpv_args: Sequence[str]) -> None:
    """Refuse arguments that would stop us from tracking the mpv we start."""
    for arg in mpv_args:
        if arg == _IPC_OPTION or arg.startswith(_IPC_OPTION + "="):
            raise MpvIpcError(
                "watch opens its own IPC socket; to track an mpv you start yourself with "
                "--input-ipc-server, use: immersion attach SOCKET"
            )


def mpv_command(executable: str, target: str, mpv_args: Sequence[str], socket: Path) -> list[str]:
    """The command line: ours first, then ``target``, then the learner's own arguments.

    A local ``target`` starting with ``-`` gets ``./`` so mpv cannot read it as an option.
    """
    check_mpv_args(mpv_args)
    if target.startswith("-") and target != "-":
        target = f".{os.sep}{target}"
    return [executable, f"{_IPC_OPTION}={socket}", target, *mpv_args]


@contextlib.contextmanager
def launched_mpv(
    target: str, mpv_args: Sequence[str] = (), *, executable: str = "mpv"
) -> Iterator[MpvProcess]:
    """Run mpv on ``target`` with ``mpv_args`` passed through, listening on a private socket.

    mpv shares our terminal (its keys and status line work as usual). On leaving the
    context mpv is stopped if it still runs and the socket's directory is removed.
    """
    check_mpv_args(mpv_args)
    program = find_mpv(executable)
    directory = Path(tempfile.mkdtemp(prefix="immersion-mpv-"))
    try:
        directory.chmod(0o700)  # mkdtemp already does; said again because it matters
        socket = directory / "mpv.sock"
        command = mpv_command(program, target, mpv_args, socket)
        try:
            process = subprocess.Popen(command)
        except OSError as exc:
            raise MpvIpcError(f"could not start mpv: {exc.strerror or exc}") from exc
        mpv = MpvProcess(process, socket)
        try:
            yield mpv
        finally:
            mpv.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
