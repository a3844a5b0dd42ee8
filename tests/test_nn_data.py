"""make_moons and the mini-batch iterator."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data import batches, make_moons


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert len(X) == 101 and y.count(0) == 50 and y.count(1) == 51
    for (x0, x1), label in zip(X, y):
        if label == 0:  # (cos t, sin t)
            assert math.hypot(x0, x1) == pytest.approx(1.0) and x1 >= -1e-12
        else:  # (1 − cos t, 1 − sin t − 0.5): centred on (1, 0.5), lower half
            assert math.hypot(x0 - 1.0, x1 - 0.5) == pytest.approx(1.0) and x1 <= 0.5 + 1e-12
    ends = {(round(a, 12), round(b, 12)) for a, b in X}
    assert {(1.0, 0.0), (-1.0, 0.0), (0.0, 0.5), (2.0, 0.5)} <= ends


def test_moons_noise_has_the_requested_spread_and_seed_reproduces():
    clean, y0 = make_moons(400, noise=0.0, seed=5)
    noisy, y1 = make_moons(400, noise=0.1, seed=5)
    assert y0 == y1  # the shuffle is drawn before the noise, so it is the same
    offsets = [a - b for p, q in zip(noisy, clean) for a, b in zip(p, q)]
    std = math.sqrt(sum(d * d for d in offsets) / len(offsets))
    assert 0.08 < std < 0.12
    assert make_moons(50, 0.1, seed=5) == make_moons(50, 0.1, seed=5)
    assert make_moons(50, 0.1, seed=5) != make_moons(50, 0.1, seed=6)
    random.seed(9)
    a = make_moons(20, 0.1)
    random.seed(9)
    assert make_moons(20, 0.1) == a


def test_moons_accepts_a_pair_of_counts_and_refuses_bad_arguments():
    _, y = make_moons((3, 7), seed=0)
    assert y.count(0) == 3 and y.count(1) == 7
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(-1)
    with pytest.raises(ValueError, match="noise"):
        make_moons(10, noise=-0.1)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 40), size=st.integers(1, 12), shuffle=st.booleans(), seed=st.integers(0, 99))
def test_batches_cover_every_pair_once_in_batches_of_the_given_size(n, size, shuffle, seed):
    X = [[float(i), -float(i)] for i in range(n)]
    y = list(range(n))
    got = list(batches(X, y, size, shuffle=shuffle, rng=seed))
    assert all(len(xb) == len(yb) for xb, yb in got)
    assert [len(yb) for _, yb in got[:-1]] == [size] * (len(got) - 1)
    flat = [label for _, yb in got for label in yb]
    assert sorted(flat) == y
    assert all(xb[i][0] == yb[i] for xb, yb in got for i in range(len(yb)))
    if not shuffle:
        assert flat == y


def test_batches_checks_arguments_when_called():
    with pytest.raises(ValueError, match="3 inputs but 2 labels"):
        batches([[0.0]] * 3, [0, 1], 2)
    with pytest.raises(ValueError, match="batch_size"):
        batches([[0.0]], [0], 0)
