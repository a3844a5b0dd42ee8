"""Whether HIPS autograd (the PyPI package `autograd`) shares this environment with gradwalk.

Both are imported as `autograd`. Installed into one environment, they write into one folder:
the one installed last owns `autograd/__init__.py`, so `import autograd` gives that one, and
uninstalling either deletes the file for both. pip says nothing about it. This module tells.

It uses the standard library only and no other part of the engine, so it still runs when the
`__init__.py` beside it is HIPS autograd's or gone (`nn` loads it by path then).
"""

from __future__ import annotations

import os
import sys
import warnings

#: The distribution name of HIPS autograd on PyPI.
OTHER = "autograd"
#: This folder: gradwalk's `autograd` package, wherever it was installed.
ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))

ADVICE = "Give gradwalk a virtual environment of its own (python -m venv DIR, then install gradwalk there)."
REPAIR = "To repair this one: pip uninstall autograd, then pip install --force-reinstall gradwalk."


class AutogradClashWarning(UserWarning):
    """gradwalk works here, but another package imported as `autograd` is installed beside it."""


def other_metadata_dir() -> str | None:
    """The `.dist-info` (or `.egg-info`) folder of a distribution named `autograd` on sys.path.

    A scan of folder names (cheap enough for every import); importlib.metadata is loaded only
    when one is found.
    """
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except OSError:  # a zip file, or a folder that does not exist
            continue
        for name in names:
            for suffix in (".dist-info", ".egg-info"):
                if name.endswith(suffix) and name[: -len(suffix)].split("-")[0].lower() == OTHER:
                    return os.path.join(folder, name)
    return None


def diagnosis(engine_dir: str = ENGINE_DIR) -> str | None:
    """What is wrong with `autograd` in this environment, and what to do; None when nothing is.

    `engine_dir` is gradwalk's `autograd` folder. The owner of its `__init__.py` is found by
    comparing the file with the hash that HIPS autograd's install record (RECORD) lists for it.
    """
    init = os.path.join(engine_dir, "__init__.py")
    found = other_metadata_dir()
    if found is None:
        if os.path.exists(init):
            return None
        return (
            f"{init} is missing: uninstalling another package imported as 'autograd' (such as HIPS "
            f"autograd, the PyPI package 'autograd') deletes it for gradwalk too. Reinstall gradwalk "
            f"(pip install --force-reinstall gradwalk). {ADVICE}"
        )
    from importlib.metadata import PathDistribution
    from pathlib import Path

    other = PathDistribution(Path(found))
    head = (
        f"HIPS autograd {other.version} (the PyPI package 'autograd') is installed in this environment, "
        f"and it is imported as 'autograd' too"
    )
    their_init = next((f for f in other.files or () if f.as_posix() == "autograd/__init__.py"), None)
    located = os.path.abspath(str(their_init.locate())) if their_init is not None else None
    if located != os.path.abspath(init):  # two folders: sys.path order decides which one imports
        where = os.path.dirname(found)
        return f"{head}, from {where}; which of the two `import autograd` gives depends on sys.path. {ADVICE}"
    if not os.path.exists(init):
        gone = "autograd/__init__.py, which both packages install, is gone, so neither imports"
        return f"{head}; {gone}. {ADVICE} {REPAIR}"
    if their_init.hash is not None and _file_hash(init, their_init.hash.mode) == their_init.hash.value:
        return (
            f"{head}; its autograd/__init__.py has replaced gradwalk's, so `import autograd` gives HIPS "
            f"autograd, not gradwalk. {ADVICE} {REPAIR}"
        )
    return (
        f"{head}; gradwalk's autograd/__init__.py has replaced its own, so code written for HIPS autograd "
        f"gets gradwalk, and uninstalling either package breaks the other. {ADVICE}"
    )


def warn_if_shared() -> None:
    """Warn (AutogradClashWarning) when gradwalk's engine imports with HIPS autograd installed beside it."""
    message = diagnosis()
    if message is not None:
        warnings.warn(message, AutogradClashWarning, stacklevel=_first_outside_frame())


def _file_hash(path: str, mode: str) -> str:
    """The file's digest as a RECORD writes it: urlsafe base64 without padding."""
    import base64  # loaded only when a clash is found: hashlib alone costs an import ~10 ms
    import hashlib

    with open(path, "rb") as f:
        digest = hashlib.new(mode, f.read()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _first_outside_frame() -> int:
    """The stacklevel of the first caller outside gradwalk, so the warning points at the user's
    `import` line. The import machinery's frames are not counted: `warnings` skips them itself."""
    ours = (ENGINE_DIR + os.sep, os.path.join(os.path.dirname(ENGINE_DIR), "nn") + os.sep)
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_code.co_filename
        if "importlib._bootstrap" not in name:
            if not name.startswith(ours):
                break
            level += 1
        frame = frame.f_back
    return level


if __name__ == "autograd._coexist":  # imported by the engine itself (nn loads a copy by path, silently)
    warn_if_shared()
