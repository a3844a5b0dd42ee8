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
import re
import secrets
import stat
import time
from collections import deque
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograd import Value

FORMAT = "gradwalk.nn"
VERSION = 1

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


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
    """Replace the file at `path` by `data` all at once: a crash leaves the old file or the new one.

    - The bytes go to a temporary file next to it (so the rename does not cross file systems),
      named `.<name>.gradwalk-tmp-<pid>-<random>`, are flushed to disk, then renamed over it.
    - Through a symlink, the file the link points to is replaced and the link kept.
    - A new file gets the permissions a plain `open()` would give (0o666 less the umask); a
      replaced one keeps its own.
    - Temporary files that a killed save left for this same file are removed first: those whose
      process is no longer running, and any older than STALE_AFTER seconds. (On a directory
      shared between machines, a save running elsewhere can lose its temporary file this way;
      that save then fails with an error and leaves the file as it was.)
    """
    target = os.path.realpath(path)
    directory, name = os.path.split(target)
    _remove_stale_temporaries(directory, name)
    fd, tmp = _create_temporary(directory, name)
    try:
        with os.fdopen(fd, "wb") as f:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, os.stat(target).st_mode & 0o777)  # a replaced file keeps its mode
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


#: The name of a temporary file of a save in progress: `.<name>.gradwalk-tmp-<pid>-<16 hex digits>`.
_TEMPORARY = "gradwalk-tmp"
#: Seconds after which a temporary file is stale whatever its process (whose id may be reused).
STALE_AFTER = 3600.0


def _create_temporary(directory: str, name: str) -> tuple[int, str]:
    """A new temporary file for `name`, opened for writing, created with mode 0o666 less the umask."""
    while True:
        tmp = os.path.join(directory, f".{name}.{_TEMPORARY}-{os.getpid()}-{secrets.token_hex(8)}")
        try:  # O_EXCL: never an existing file or link of that name
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666), tmp
        except FileExistsError:
            continue


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Remove temporary files of `name` whose save was killed (see `write_atomically`)."""
    pattern = re.compile(re.escape(f".{name}.{_TEMPORARY}-") + r"(\d+)-[0-9a-f]{16}")
    try:
        entries = os.listdir(directory)
    except OSError:
        return  # then the save itself says what is wrong
    now = time.time()
    for entry in entries:
        found = pattern.fullmatch(entry)
        if found is None:
            continue
        tmp = os.path.join(directory, entry)
        try:
            info = os.lstat(tmp)
            if stat.S_ISREG(info.st_mode) and (
                now - info.st_mtime > STALE_AFTER or not _running(int(found.group(1)))
            ):
                os.unlink(tmp)
        except OSError:  # gone already (another save cleaned it), or not ours to remove
            continue


def _running(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (assumed so where that cannot be asked)."""
    if os.name != "posix":
        return True  # os.kill would terminate it on Windows; the age rule applies instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def swap_in(params: Sequence[Value], values: Sequence[float]) -> None:
    """`params[i].data = values[i]` for every i, as one step: an interrupt leaves all old or all new.

    The assignments run inside one C call (setattr mapped over the pairs, drained by a deque),
    with no Python bytecode between them, and Python runs a signal handler (Ctrl-C's
    KeyboardInterrupt, an alarm) only between bytecodes. Should an exception land in the middle
    all the same (a `data` that runs Python code), the old values are put back before it goes on.
    """
    old = [p.data for p in params]
    try:
        deque(map(setattr, params, repeat("data"), values), maxlen=0)
    except BaseException:
        deque(map(setattr, params, repeat("data"), old), maxlen=0)
        raise


#: The largest model file read (about ten million parameters); larger files are refused unread.
MAX_FILE_BYTES = 512 * 2**20
#: The deepest nesting of arrays and objects in a model file (gradwalk's own files nest 4 deep).
MAX_DEPTH = 32


def read_model(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, object]]:
    """(architecture, {name: value}) from a model file, or ModelFileError saying what is wrong.

    Values are checked to be numbers here, and finite and complete by `Module.load_state_dict`.
    """
    where = os.fspath(path)
    raw = _read_regular_file(where)
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
    except RecursionError:
        raise ModelFileError(f"{where}: {_too_deep()}") from None
    if _depth(document) > MAX_DEPTH:
        raise ModelFileError(f"{where}: {_too_deep()}")
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


def _read_regular_file(where: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or ModelFileError naming the path.

    Opened without blocking, so that a FIFO is refused rather than waited on, and checked to be
    a regular file before anything is read, so that a device such as /dev/zero is never read.
    """
    flags = os.O_RDONLY | _O_BINARY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(where, flags)
    except OSError as e:
        raise ModelFileError(f"{where}: cannot open the model file: {e.strerror or e}") from e
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ModelFileError(f"{where}: {kind}; a model file is a regular file written by save()")
        if info.st_size > MAX_FILE_BYTES:
            raise ModelFileError(f"{where}: {_too_large(info.st_size)}")
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since fstat
    except OSError as e:
        raise ModelFileError(f"{where}: cannot read the model file: {e.strerror or e}") from e
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise ModelFileError(f"{where}: {_too_large(len(raw))}")
    return raw


def _too_large(size: int) -> str:
    return f"{size} bytes is larger than a model file may be ({MAX_FILE_BYTES} bytes)"


def _too_deep() -> str:
    return (
        f"arrays and objects nest more than {MAX_DEPTH} levels deep; not a gradwalk model file "
        "(which nests 4 deep)"
    )


def _depth(document: object) -> int:
    """How deep arrays and objects nest in a parsed JSON document (0 for a number), walked iteratively."""
    deepest = 0
    stack = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


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
