"""What PyTorch users bring: its names accepted, its NaN and zero-grad semantics, and clear errors
where PyTorch would raise (backward of a result with no graph)."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value, grad, hessian, no_grad


def test_item_retain_grad_and_retain_graph_are_accepted():
    x = Value(1.5)
    y = x * x
    assert y.item() == 2.25 and type(y.item()) is float
    assert y.retain_grad() is None
    y.backward(retain_graph=True)
    y.backward(retain_graph=False)
    assert x.grad == 6.0  # twice 3.0: leaf grads accumulate, as in PyTorch
    assert y.grad == 1.0


def test_a_leaf_grad_of_none_counts_as_zero():
    # PyTorch's zero_grad(set_to_none=True) leaves None; the next backward must treat it as 0
    a, b = Value(2.0), Value(3.0)
    out = a * b + a
    a.grad = None
    b.grad = None
    out.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)
    with_many = autograd.dot([a, b], [b, a])
    a.grad = b.grad = None
    with_many.backward()
    assert (a.grad, b.grad) == (6.0, 4.0)
    a.grad = None
    a.backward()  # a leaf root
    assert a.grad == 1.0


def test_a_grad_that_is_not_a_number_is_named():
    a, b = Value(2.0), Value(3.0)
    out = a * b
    a.grad = "zero"
    with pytest.raises(TypeError, match=r"grad of Value\(data=2.0.*str.*must be a number"):
        out.backward()


def test_int_round_and_bool_behave_as_for_the_float():
    for x in (2.5, -2.9, 0.0, -0.0, 1e-300, 3.5):
        v = Value(x)
        assert int(v) == int(x) and round(v) == round(x) and bool(v) is bool(x)
        assert round(v, 1) == round(x, 1)
    assert bool(Value(0.0)) is False


def test_backward_of_a_result_computed_under_no_grad_is_an_error():
    x = Value(2.0)
    with no_grad():
        y = (x * 3.0).tanh()
    assert y.is_leaf
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()
    assert x.grad == 0.0
    Value(1.0).backward()  # a leaf made by the user is fine: its gradient with respect to itself


def test_nan_flows_through_relu_and_sqrt_as_in_pytorch():
    x = Value(math.nan)
    r = x.relu()
    assert math.isnan(r.data)
    s = Value(math.nan).sqrt()
    assert math.isnan(s.data) and math.isnan(s.local_grads[0])
    assert math.isnan(autograd.relu(math.nan))


def test_an_mlp_fed_nan_outputs_nan():
    import nn

    model = nn.MLP(2, [4, 1], rng=0)
    assert math.isnan(model([math.nan, 1.0]).data)


def test_derivatives_that_overflow_give_inf_not_errors():
    x, y = Value(2.0), Value(1e-200)
    q = x / y
    q.backward()
    assert q.data == 2e200 and x.grad == 1e200 and y.grad == -math.inf
    z = Value(1e-200)
    p = z**-1.5
    p.backward()
    assert p.data == pytest.approx(1e300) and z.grad == -math.inf
    assert grad(lambda a: a**-1.5)(1e-200) == -math.inf
    assert grad(lambda a, b: a / b, argnums=1)(2.0, 1e-200) == -math.inf
    h = hessian(lambda a: a**-1.5)(1e-200)
    assert h[0][0] == math.inf


def test_integers_too_large_for_a_float_name_the_place():
    with pytest.raises(OverflowError, match=r"Value\(data\)"):
        Value(10**400)
    with pytest.raises(OverflowError, match=r"\*:"):
        Value(1.0) * 10**400
    with pytest.raises(OverflowError, match=r"\+:"):
        10**400 + Value(1.0)
    with pytest.raises(OverflowError, match="atan2"):
        autograd.atan2(Value(1.0), 10**400)
    with pytest.raises(OverflowError, match="backward"):
        Value(1.0).backward(10**400)
