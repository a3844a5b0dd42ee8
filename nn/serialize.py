"""The model file: versioned JSON, written atomically, read with every check made before use.

    {"format": "gradwalk.nn", "version": 1,
     "architecture": {"class": "MLP", "args": {"nin": 2, "nouts": [16, 16, 1], "activation": "relu"}},
     "parameters": {"layers.0.neurons.0.w.0": 0.5488135039273248, …}}

Values are written as Python's shortest repr of each float, which reads back to the same float.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Mapping
from typing import Any

FORMAT = "gradwalk.nn"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be used, with the reason; the model it was loaded into is unchanged."""


def write_model(
    path: str | os.PathLike[str], architecture: dict[str, object], state: Mapping[str, float]
) -> None:
    """Write a model file; raises ValueError (writing nothing) if a parameter is not finite."""
    for name, value in state.items():
        if not math.isfinite(value):
            raise ValueError(f"cannot save: parameter {name!r} is {value!r}; JSON numbers must be finite")
    document = {"format": FORMAT, "version": VERSION, "architecture": architecture, "parameters": dict(state)}
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    write_atomically(path, text.encode("utf-8"))


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` by `data` all at once: a crash leaves either the old file or the new one.

    The bytes go to a temporary file in the same directory (so the final rename does not cross
    file systems), are flushed to disk, and only then renamed over `path`.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def read_model(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, object]]:
    """(architecture, {name: value}) from a model file, or ModelFileError saying what is wrong.

    Values are checked to be numbers here, and finite and complete by `Module.load_state_dict`.
    """
    where = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{where}: not a gradwalk model file (not UTF-8 text: {e})") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as e:
        raise ModelFileError(
            f"{where}: not valid JSON, perhaps truncated or corrupt "
            f"(line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    except ValueError as e:  # from the hooks
        raise ModelFileError(f"{where}: {e}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f'{where}: not a gradwalk model file (no "format": {FORMAT!r})')
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ModelFileError(
            f"{where}: format version {version!r} is not supported (this gradwalk reads {VERSION})"
        )
    architecture = document.get("architecture")
    if not isinstance(architecture, dict) or not isinstance(architecture.get("class"), str):
        raise ModelFileError(f'{where}: "architecture" must be an object with a "class" name')
    state = document.get("parameters")
    if not isinstance(state, dict):
        raise ModelFileError(f'{where}: "parameters" must be an object of names to numbers')
    return architecture, state


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number; model files hold finite numbers only")


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the name {key!r} appears twice")
        result[key] = value
    return result


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable where the OS allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
