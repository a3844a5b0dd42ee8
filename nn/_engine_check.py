"""Make sure `import autograd` gives gradwalk's engine before nn builds on it.

HIPS autograd (the PyPI package `autograd`) is imported by the same name. When it has replaced
gradwalk's `autograd/__init__.py`, or uninstalling it deleted that file, `from autograd import
Value` would fail with a bare ImportError; this check says instead what happened and what to do.
The diagnosis is `autograd/_coexist.py`, loaded here by its path, since the package that holds it
may be the one that cannot be imported.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys

#: gradwalk's own `autograd` folder: installed beside `nn`, whatever `import autograd` finds.
ENGINE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "autograd")


def require_gradwalk_engine() -> None:
    """Return if `import autograd` gives gradwalk's engine; otherwise raise ImportError saying
    why and what to do, or, in the `gradwalk` command, print that in one line and exit 1."""
    try:
        import autograd

        found = getattr(autograd, "__file__", None) or "a folder without __init__.py"
        if isinstance(getattr(autograd, "Value", None), type):
            return
        error: BaseException | None = None
    except Exception as e:  # HIPS autograd's own __init__ may fail too, e.g. without numpy
        found, error = None, e
    problem = _diagnosis()
    if problem is None and error is not None:
        raise error  # nothing to do with another package: a real error of our own
    if problem is None:
        problem = (
            f"`import autograd` gives {found}, not gradwalk's engine in {ENGINE_DIR}: something else "
            "named 'autograd' comes first on sys.path; rename it, or use a separate virtual environment"
        )
    if _is_gradwalk_command():
        # The command imports nn before its main() runs, so this is its only chance to fail in one line.
        print(f"gradwalk: error: {problem}", file=sys.stderr)
        raise SystemExit(1)
    raise ImportError(problem)


def _diagnosis() -> str | None:
    path = os.path.join(ENGINE_DIR, "_coexist.py")
    spec = importlib.util.spec_from_file_location("nn._autograd_coexist", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except OSError:  # the file is gone too
        return None
    return module.diagnosis(ENGINE_DIR)


def _is_gradwalk_command() -> bool:
    """Whether this process is `gradwalk …` or `python -m nn …`."""
    if os.path.basename(sys.argv[0]).split(".")[0].removesuffix("-script") == "gradwalk":
        return True
    argv = getattr(sys, "orig_argv", [])
    return any(a == "-m" and b == "nn" for a, b in itertools.pairwise(argv))
