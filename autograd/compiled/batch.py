"""`map`: a traced program evaluated on every row of some columns, reduced to a mean or a sum.

With numpy (the optional `fast` extra) each node is evaluated once for all rows (see
`autograd.compiled.vector`). Without it the straight-line replay runs row by row, and says so once.
The row-by-row replay is also what a batch falls back to when some row meets a domain edge or a
non-finite number, so that such a row fails (or not) exactly as eager evaluation does.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd.compiled.arguments import flatten, row

if TYPE_CHECKING:
    from autograd.compiled import Compiled, Replay

_warned = False


def numpy_available() -> bool:
    """Whether numpy can be imported (it is imported only when a batch runs)."""
    return importlib.util.find_spec("numpy") is not None


def length_of(columns: Sequence[Sequence[object]]) -> int:
    """The number of rows of equally long columns, or a ValueError/TypeError naming the fault."""
    if not columns:
        raise TypeError("map: give at least one column (a sequence with one item per row)")
    lengths = []
    for i, column in enumerate(columns):
        if (
            isinstance(column, (str, bytes))
            or not hasattr(column, "__len__")
            or not hasattr(column, "__getitem__")
        ):
            raise TypeError(
                f"map: column {i} must be a sequence, one item per row; got {type(column).__name__}"
            )
        lengths.append(len(column))
    if len(set(lengths)) != 1:
        raise ValueError(f"map: the columns differ in length ({', '.join(map(str, lengths))})")
    if lengths[0] == 0:
        raise ValueError("map: the columns are empty (the mean of no rows is undefined)")
    return lengths[0]


def run(
    compiled: Compiled,
    replay: Replay,
    columns: Sequence[Sequence[object]],
    n: int,
    key: object,
    reduce: str,
) -> float:
    """Σ or mean over rows of the program's output, the same reduction of gradients added to the leaves."""
    if numpy_available():
        from autograd.compiled.vector import run_batch

        result = run_batch(replay, columns, n, key, reduce)
        if result is not None:
            return result
    else:
        _warn_once()
    return run_rows(compiled, replay, [row(columns, i) for i in range(n)], key, reduce)


def run_rows(
    compiled: Compiled, replay: Replay, rows: list[tuple[object, ...]], key: object, reduce: str
) -> float:
    """The batch replayed row by row with the straight-line code: gradients summed over the rows."""
    replay_row = replay.forward_backward_function()
    targets = replay.receivers(())
    totals = [0.0] * len(targets)
    total = 0.0
    for i, items in enumerate(rows):
        flat = flatten(items, numbers_traced=True)
        if flat.key != key:
            raise ValueError(f"map: row {i} has another structure than row 0 (lengths or kinds of items)")
        try:
            out, totals = replay_row(replay.numbers(flat.items), totals)  # type: ignore[misc]
        except (ArithmeticError, ValueError) as error:
            raise compiled.eager_error(items, error) from None
        total += out
    n = len(rows)
    for v, g in zip(targets, totals):
        v.grad = v.grad + (g / n if reduce == "mean" else g)
    return total / n if reduce == "mean" else total


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "autograd.compile: numpy is not installed, so map replays the rows one by one "
            "(pip install 'gradwalk[fast]' evaluates all rows at once)",
            RuntimeWarning,
            stacklevel=4,
        )
