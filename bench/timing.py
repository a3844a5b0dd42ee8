"""Shared measuring helpers for the benchmarks: medians of repeated runs, memory per op."""

from __future__ import annotations

import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """The median wall time of `repeats` calls of work(), garbage collector left as it is."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bytes_per_op(build: Callable[[int], object], n: int) -> float:
    """Traced bytes held by the result of build(n), divided by n."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = build(n)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del result
    return held / n


def with_deep_recursion(work: Callable[[], object], limit: int = 1_000_000) -> object:
    """Run work() in a thread with a big C stack and a raised recursion limit.

    Only for engines whose graph walks recurse, so they can be timed on deep graphs at all.
    """
    result: dict[str, object] = {}

    def target() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(limit)
        try:
            result["value"] = work()
        except BaseException as error:  # reported to the caller's thread
            result["error"] = error
        finally:
            sys.setrecursionlimit(old)

    threading.stack_size(1 << 30)
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    threading.stack_size(0)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


def ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:6.1f}×" if fast > 0 else "   n/a"
