"""Finding a Graphviz renderer and running it on DOT text, bounded in time, output and processes.

The order: the executable named by GRADWALK_DOT; the system `dot`; `graphviz-pure`, the
self-contained port of `dot` that pip installs next to the Python executable.

A run is bounded three ways:

- time: after `timeout` seconds (None: no limit) the renderer is stopped: RenderTimeoutError;
- output: at most MAX_OUTPUT_BYTES are read, chunk by chunk; past that it is stopped: RenderError;
- processes: however the call ends (output, error, timeout, Ctrl-C or any other exception), the
  renderer's process group is killed and the renderer reaped. On Linux, processes it started
  that left the group (`setsid`, a double fork) are found by a random mark in their environment
  and killed too. What can outlive the call: on other systems, such processes; on Linux, one
  that replaced its environment by exec-ing a program with a new one.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path
from typing import IO

ENV_VAR = "GRADWALK_DOT"
PURE_RENDERER = "graphviz-pure"

#: The most bytes of output read from a renderer (an SVG of 300 nodes is about 300 kB).
MAX_OUTPUT_BYTES = 256 * 2**20
#: The most bytes of the renderer's error output kept for the message: the last ones.
MAX_ERROR_BYTES = 2**20
#: The environment variable marking the renderer and everything it starts, for one call.
MARK_VAR = "GRADWALK_RENDER_MARK"

_POSIX = os.name == "posix"
_CHUNK = 2**16

INSTALL_HINT = (
    "install Graphviz (e.g. `apt install graphviz`, `brew install graphviz`, `conda install graphviz`) "
    f"or `pip install {PURE_RENDERER}`, or set {ENV_VAR} to the path of a `dot` executable; "
    "Graph.source gives the DOT text without rendering"
)


class RendererNotFoundError(RuntimeError):
    """No Graphviz renderer could be found."""


class RenderError(RuntimeError):
    """The renderer failed, or cannot write the asked format."""


class RenderTimeoutError(RenderError):
    """The renderer ran longer than the timeout and was stopped."""


def find_renderer() -> str:
    """The path of the renderer to run: $GRADWALK_DOT, else `dot` on PATH, else graphviz-pure."""
    named = os.environ.get(ENV_VAR, "")
    if named:
        found = shutil.which(named)
        if found is None:
            raise RendererNotFoundError(f"{ENV_VAR}={named!r} is not an executable; {INSTALL_HINT}")
        return found
    found = shutil.which("dot")
    if found is not None:
        return found
    # pip puts graphviz-pure next to the Python executable, which need not be on PATH.
    places = (os.environ.get("PATH"), sysconfig.get_path("scripts"), str(Path(sys.executable).parent))
    for directory in places:
        found = shutil.which(PURE_RENDERER, path=directory) if directory else None
        if found is not None:
            return found
    raise RendererNotFoundError(f"no Graphviz renderer found: {INSTALL_HINT}")


def check_timeout(timeout: object, where: str = "draw") -> float | None:
    """`timeout` as seconds: a positive finite number, or None for no limit (Ctrl-C still stops)."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(
            f"{where}(timeout={timeout!r}): expected a number of seconds or None, "
            f"got {type(timeout).__name__}"
        )
    try:
        seconds = float(timeout)
    except OverflowError:
        seconds = math.inf
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(
            f"{where}(timeout={timeout!r}): expected a positive, finite number of seconds "
            "(or None for no limit)"
        )
    return seconds


def run(source: str, fmt: str, timeout: float | None) -> bytes:
    """The renderer's output for DOT `source` in format `fmt` (svg, png, pdf, …); SVG is UTF-8."""
    seconds = check_timeout(timeout, "render")
    renderer = find_renderer()
    mark = secrets.token_hex(16)
    # A session of its own, so that stopping it stops what it started, and the terminal's
    # Ctrl-C reaches only us: we stop it ourselves, on every way out of the call.
    process = subprocess.Popen(
        [renderer, f"-T{fmt}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=_POSIX,
        env={**os.environ, MARK_VAR: mark},
    )
    try:
        out, err = _exchange(process, source.encode("utf-8"), seconds, renderer)
    except subprocess.TimeoutExpired:
        raise RenderTimeoutError(
            f"renderer {renderer} did not finish within {seconds:g} s and was stopped; "
            "draw fewer nodes (max_nodes=…) or pass a longer timeout"
        ) from None
    finally:
        _stop(process, mark)
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip()
        formats = re.search(r"Use one of:(.*)", message)
        if formats is not None and "not recognized" in message:
            raise RenderError(
                f"renderer {renderer} cannot write {fmt!r}; it writes: {formats.group(1).strip()}"
            )
        raise RenderError(f"renderer {renderer} failed (exit {process.returncode}): {message[-2000:]}")
    if fmt == "svg":
        try:
            out.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RenderError(f"renderer {renderer} wrote SVG that is not UTF-8 text ({e})") from None
    return out


class _Reader(threading.Thread):
    """Reads a pipe to its end in chunks, holding at most about `limit` bytes.

    Past the limit it stops (`overflowed`), or with `tail` reads on and keeps the last `limit`
    bytes, so that a renderer writing much to stderr does not block on a full pipe.
    """

    def __init__(self, pipe: IO[bytes], limit: int, *, tail: bool = False) -> None:
        super().__init__(daemon=True)
        self.pipe, self.limit, self.tail = pipe, limit, tail
        self.data = bytearray()
        self.overflowed = False

    def run(self) -> None:
        try:
            while chunk := os.read(self.pipe.fileno(), _CHUNK):
                self.data += chunk
                if len(self.data) > self.limit:
                    if not self.tail:
                        self.overflowed = True
                        return
                    del self.data[: len(self.data) - self.limit]
        except OSError:
            pass
        finally:
            self.pipe.close()


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except OSError:  # it stopped reading (e.g. an unknown format): its exit status says why
        pass


def _exchange(
    process: subprocess.Popen[bytes], data: bytes, seconds: float | None, renderer: str
) -> tuple[bytes, bytes]:
    """Write `data` to the renderer and read (stdout, stderr) until it exits; TimeoutExpired at the end."""
    deadline = None if seconds is None else time.monotonic() + seconds
    assert process.stdin and process.stdout and process.stderr
    out = _Reader(process.stdout, MAX_OUTPUT_BYTES)
    err = _Reader(process.stderr, MAX_ERROR_BYTES, tail=True)
    feeder = threading.Thread(target=_feed, args=(process.stdin, data), daemon=True)
    for thread in (feeder, out, err):
        thread.start()
    # join() and wait() are interrupted by Ctrl-C on POSIX, so KeyboardInterrupt lands here.
    for thread in (out, err):
        thread.join(_left(deadline))
        if out.overflowed:
            raise RenderError(
                f"renderer {renderer} wrote more than {MAX_OUTPUT_BYTES / 2**20:g} MB and was stopped; "
                "draw fewer nodes (max_nodes=…)"
            )
        if thread.is_alive():
            raise subprocess.TimeoutExpired(process.args, seconds or 0.0)
    process.wait(_left(deadline))
    return bytes(out.data), bytes(err.data)


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _stop(process: subprocess.Popen[bytes], mark: str) -> None:
    """Kill the renderer, its process group and (on Linux) every process carrying `mark`; reap it."""
    if _POSIX:
        # Before the renderer is reaped its pid names the group. After (when it finished), the
        # id cannot be handed out again while any member lives, and an empty group finds no one.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        _kill_marked(mark)
    elif process.poll() is None:
        process.kill()
    process.wait()


def _kill_marked(mark: str, rounds: int = 10) -> None:
    """SIGKILL the processes whose environment holds this call's mark: what the renderer started.

    /proc/<pid>/environ is the environment a process was started with, inherited through fork
    and exec unless a new one is passed; a killed process shows an empty one. Repeated until a
    round finds no one, in case one forked while the last round looked.
    """
    if not os.path.isdir("/proc/self"):
        return
    needle = f"\0{MARK_VAR}={mark}\0".encode()
    for _ in range(rounds):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    environ = b"\0" + f.read()
            except OSError:  # gone, or another user's
                continue
            if needle in environ:
                found = True
                with contextlib.suppress(OSError):
                    os.kill(int(name), signal.SIGKILL)
        if not found:
            return
