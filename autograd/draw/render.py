"""Finding a Graphviz renderer and running it on DOT text, with a timeout.

The order: the executable named by GRADWALK_DOT; the system `dot`; `graphviz-pure`, the
self-contained port of `dot` that pip installs next to the Python executable.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

ENV_VAR = "GRADWALK_DOT"
PURE_RENDERER = "graphviz-pure"

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


def run(source: str, fmt: str, timeout: float) -> bytes:
    """The renderer's output for DOT `source` in format `fmt` (svg, png, pdf, …)."""
    renderer = find_renderer()
    posix = os.name == "posix"
    # A session of its own, so a timeout can stop the renderer and anything it started.
    process = subprocess.Popen(
        [renderer, f"-T{fmt}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=posix,
    )
    try:
        out, err = process.communicate(source.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process, posix)
        raise RenderTimeoutError(
            f"renderer {renderer} did not finish within {timeout:g} s and was stopped; "
            "draw fewer nodes (max_nodes=…) or pass a longer timeout"
        ) from None
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip()
        formats = re.search(r"Use one of:(.*)", message)
        if formats is not None and "not recognized" in message:
            raise RenderError(
                f"renderer {renderer} cannot write {fmt!r}; it writes: {formats.group(1).strip()}"
            )
        raise RenderError(f"renderer {renderer} failed (exit {process.returncode}): {message[-2000:]}")
    return out


def _stop(process: subprocess.Popen, posix: bool) -> None:
    """Kill the renderer (its whole process group on POSIX) and reap it."""
    try:
        if posix:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except ProcessLookupError:
        pass
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
    process.wait()
