"""Whether ops record the graph: `no_grad()` switches recording off in the current context.

The switch lives in a ContextVar, so it is per thread and per asyncio task, and nests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_recording: ContextVar[bool] = ContextVar("gradwalk_recording", default=True)

#: Fast read of the switch, used by every op.
is_recording = _recording.get


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops compute values but record no parents (as torch.no_grad)."""
    token = _recording.set(False)
    try:
        yield
    finally:
        _recording.reset(token)


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Inside this block ops record the graph again, even within `no_grad()`."""
    token = _recording.set(True)
    try:
        yield
    finally:
        _recording.reset(token)
