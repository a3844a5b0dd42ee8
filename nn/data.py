"""Small data sets and mini-batches, with the standard library only."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import TypeVar

from nn.layers import as_rng

T = TypeVar("T")
L = TypeVar("L")


def make_moons(
    n_samples: int | tuple[int, int] = 100, noise: float = 0.1, seed: random.Random | int | None = None
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles: (X, y) with X a list of [x0, x1] and y a list of 0/1 labels.

    Label 0: (cos t, sin t); label 1: (1 − cos t, 1 − sin t − 0.5), for t evenly spaced in [0, π];
    then the points are shuffled and Gaussian noise of standard deviation `noise` is added. An int
    `n_samples` is split with the extra point going to label 1; a pair gives (label 0, label 1).
    `seed` is an int, a `random.Random`, or None for Python's `random` module.
    """
    if isinstance(n_samples, tuple):
        if len(n_samples) != 2 or any(type(n) is not int or n < 0 for n in n_samples):
            raise ValueError(f"make_moons: n_samples must be an int or a pair of ints ≥ 0, got {n_samples!r}")
        n_out, n_in = n_samples
    elif type(n_samples) is int and n_samples >= 0:
        n_out = n_samples // 2
        n_in = n_samples - n_out
    else:
        raise ValueError(f"make_moons: n_samples must be an int ≥ 0, got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"make_moons: noise must be a number ≥ 0, got {noise!r}")
    rng = as_rng(seed)
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    points += [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    labels = [0] * n_out + [1] * n_in
    order = list(range(len(points)))
    rng.shuffle(order)
    X = [points[i] for i in order]
    y = [labels[i] for i in order]
    if noise > 0:
        X = [[x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)] for x0, x1 in X]
    return X, y


def batches(
    X: Sequence[T],
    y: Sequence[L],
    batch_size: int,
    shuffle: bool = True,
    rng: random.Random | int | None = None,
) -> Iterator[tuple[list[T], list[L]]]:
    """(X_batch, y_batch) pairs covering the data once; the last batch may be smaller.

    With `shuffle`, the order is drawn from `rng` (an int seed, a `random.Random`, or None for
    Python's `random` module) when `batches` is called. Arguments are checked at the call too.
    """
    if len(X) != len(y):
        raise ValueError(f"batches: {len(X)} inputs but {len(y)} labels")
    if type(batch_size) is not int or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    order = list(range(len(X)))
    if shuffle:
        as_rng(rng).shuffle(order)
    return _chunks(X, y, order, batch_size)


def _chunks(X: Sequence[T], y: Sequence[L], order: list[int], size: int) -> Iterator[tuple[list[T], list[L]]]:
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]


def _linspace(start: float, stop: float, n: int) -> list[float]:
    """n evenly spaced numbers from start to stop, both included."""
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1)
    return [start + i * step for i in range(n)]
