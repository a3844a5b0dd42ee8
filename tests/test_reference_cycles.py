"""Where reference cycles can arise, exactly: only `backward(create_graph=True)`, which leaves each
leaf's grad a Value whose graph leads back to the leaf (as in PyTorch; it warns once). Everything
else is freed by reference counting alone, checked here with the cyclic collector switched off."""

from __future__ import annotations

import gc
import warnings

import pytest

import autograd
import nn
from autograd import Stepper, Value, grad, hessian, value_and_grad
from autograd.backprop import CreateGraphCycleWarning
from autograd.testing import gradcheck, gradgradcheck


def live_values() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def leaves_nothing_behind(work) -> bool:
    """Run work() with the cyclic collector off; True if every Value it made is already gone."""
    gc.collect()
    gc.disable()
    try:
        before = live_values()
        work()
        return live_values() == before
    finally:
        gc.enable()
        gc.collect()


def test_backward_and_del_free_everything():
    def work():
        x = Value(0.5)
        y = x
        for _ in range(2_000):
            y = (y * 1.0001).tanh() + x
        y.backward()
        del x, y

    assert leaves_nothing_behind(work)


def test_an_mlp_loss_backward_and_del_free_everything():
    model = nn.MLP(2, [8, 8, 1], rng=0)

    def work():
        X, y = nn.data.make_moons(20, seed=0)
        loss = nn.hinge_loss([model(x) for x in X], [2 * t - 1 for t in y])
        model.zero_grad()
        loss.backward()
        del loss

    assert leaves_nothing_behind(work)


@pytest.mark.parametrize(
    "pattern",
    [
        lambda: grad(lambda x: x**3)(0.7),  # the README's x**3, the functional way
        lambda: grad(grad(autograd.tanh))(0.3),
        lambda: value_and_grad(lambda x, y: x * y + autograd.sin(x), argnums=(0, 1))(1.0, 2.0),
        lambda: hessian(lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2)(1.0, 1.0),
        lambda: grad(lambda x: x * grad(lambda y: x * y)(3.0))(2.0),
        lambda: gradcheck(lambda x: x.tanh() * x, [0.4]),
        lambda: gradgradcheck(lambda x: x.tanh() * x, [0.4]),
    ],
)
def test_the_functional_forms_leave_no_cycle(pattern):
    assert leaves_nothing_behind(pattern)


def test_grad_of_values_closed_over_leaves_no_cycle():
    def work():
        w = Value(0.8)
        penalty = grad(lambda x, w: w * x * x)(1.5, w) ** 2
        penalty.backward()
        del w, penalty

    assert leaves_nothing_behind(work)


def test_a_stepper_and_its_player_data_free_everything():
    def work():
        a, b = Value(2.0, "a"), Value(-3.0, "b")
        L = (a * b + a).tanh()
        s = Stepper(L)
        s.run()
        del s, L, a, b

    assert leaves_nothing_behind(work)


def test_create_graph_is_the_one_place_a_cycle_arises_and_it_warns_once(monkeypatch):
    from autograd import backprop

    monkeypatch.setattr(backprop, "_warned", False)
    gc.collect()
    gc.disable()
    try:
        before = live_values()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            x = Value(0.7)
            y = x**3
            y.backward(create_graph=True)  # x.grad is a Value whose graph leads back to x
            x2 = Value(0.1)
            (x2 * x2).backward(create_graph=True)
        assert [w.category for w in caught] == [CreateGraphCycleWarning]  # once, not twice
        assert "autograd.grad" in str(caught[0].message)
        del x, y, x2
        assert live_values() > before  # the cycle keeps them alive without the collector
    finally:
        gc.enable()
    assert gc.collect() > 0  # and the collector frees it
    assert live_values() == before


def test_clearing_the_grad_breaks_the_cycle():
    def work():
        x = Value(0.7)
        y = x**3
        y.backward(create_graph=True)
        x.grad = 0.0  # what the README's example does before going again
        del x, y

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CreateGraphCycleWarning)
        assert leaves_nothing_behind(work)
