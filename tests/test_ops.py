"""Each op against its hand-derived derivative, every reflected form, and the edge-case policy."""

import math

import pytest

import autograd
from autograd import Value


def grad_of(f, x0):
    """(f(x0), df/dx at x0) through backward()."""
    x = Value(x0)
    y = f(x)
    y.backward()
    return y.data, x.grad


# (name, f, x0, hand-derived value, hand-derived derivative)
CASES = [
    ("add", lambda x: x + x, 1.5, 3.0, 2.0),
    ("add const", lambda x: x + 2, 1.5, 3.5, 1.0),
    ("radd", lambda x: 2 + x, 1.5, 3.5, 1.0),
    ("sub", lambda x: x - 3, 1.5, -1.5, 1.0),
    ("rsub", lambda x: 3 - x, 1.5, 1.5, -1.0),
    ("mul", lambda x: x * x, 1.5, 2.25, 3.0),
    ("rmul", lambda x: 4 * x, 1.5, 6.0, 4.0),
    ("div", lambda x: x / 4, 1.5, 0.375, 0.25),
    ("rdiv", lambda x: 3 / x, 1.5, 2.0, -3 / 1.5**2),
    ("pow int", lambda x: x**3, 1.5, 3.375, 3 * 1.5**2),
    ("pow neg base int exp", lambda x: x**3, -2.0, -8.0, 12.0),
    ("pow frac", lambda x: x**0.5, 4.0, 2.0, 0.25),
    ("rpow", lambda x: 2**x, 3.0, 8.0, 8.0 * math.log(2)),
    ("neg", lambda x: -x, 1.5, -1.5, -1.0),
    ("abs pos", lambda x: abs(x), 1.5, 1.5, 1.0),
    ("abs neg", lambda x: abs(x), -1.5, 1.5, -1.0),
    ("exp", lambda x: x.exp(), 0.5, math.exp(0.5), math.exp(0.5)),
    ("log", lambda x: x.log(), 2.0, math.log(2.0), 0.5),
    ("tanh", lambda x: x.tanh(), 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
    (
        "sigmoid",
        lambda x: x.sigmoid(),
        0.5,
        1 / (1 + math.exp(-0.5)),
        math.exp(-0.5) / (1 + math.exp(-0.5)) ** 2,
    ),
    ("relu pos", lambda x: x.relu(), 1.5, 1.5, 1.0),
    ("relu neg", lambda x: x.relu(), -1.5, 0.0, 0.0),
    ("sin", lambda x: x.sin(), 0.5, math.sin(0.5), math.cos(0.5)),
    ("cos", lambda x: x.cos(), 0.5, math.cos(0.5), -math.sin(0.5)),
    ("sqrt", lambda x: x.sqrt(), 4.0, 2.0, 0.25),
]


@pytest.mark.parametrize(("name", "f", "x0", "value", "derivative"), CASES, ids=[c[0] for c in CASES])
def test_op_value_and_derivative(name, f, x0, value, derivative):
    data, grad = grad_of(f, x0)
    assert data == pytest.approx(value, rel=1e-12)
    assert grad == pytest.approx(derivative, rel=1e-12)


def test_binary_ops_between_values_give_both_partials():
    x, y = Value(1.5), Value(-0.5)
    for f, dx, dy in [
        (lambda: x + y, 1.0, 1.0),
        (lambda: x - y, 1.0, -1.0),
        (lambda: x * y, -0.5, 1.5),
        (lambda: x / y, 1 / -0.5, -1.5 / 0.25),
    ]:
        x.grad = y.grad = 0.0
        f().backward()
        assert (x.grad, y.grad) == pytest.approx((dx, dy))


def test_value_exponent():
    x, w = Value(2.0), Value(3.0)
    (x**w).backward()
    assert x.grad == pytest.approx(3 * 2.0**2)
    assert w.grad == pytest.approx(2.0**3 * math.log(2.0))


def test_sum_and_dot_are_one_node_with_many_parents():
    xs = [Value(float(i)) for i in range(1, 5)]
    ys = [Value(0.5 * i) for i in range(1, 5)]
    s = autograd.sum(xs)
    assert s.op == "sum" and s.parents == tuple(xs) and s.local_grads == (1.0,) * 4
    d = autograd.dot(xs, ys)
    assert d.op == "dot" and d.parents == tuple(xs) + tuple(ys)
    assert d.data == sum(x.data * y.data for x, y in zip(xs, ys))
    d.backward()
    assert [x.grad for x in xs] == [y.data for y in ys]
    assert [y.grad for y in ys] == [x.data for x in xs]


def test_dot_and_sum_mix_numbers_and_values():
    w = [Value(0.5), Value(-1.0)]
    b = Value(0.25)
    n = autograd.dot([*w, b], [2.0, 3.0, 1.0])
    assert n.parents == (*w, b) and n.local_grads == (2.0, 3.0, 1.0)
    assert n.data == 0.5 * 2 - 3 + 0.25
    s = autograd.sum([w[0], 10, 2.5])
    assert s.parents == (w[0],) and s.data == 13.0
    with pytest.raises(ValueError, match="differ in length"):
        autograd.dot(w, [1.0])
    with pytest.raises(TypeError, match="str"):
        autograd.sum([w[0], "x"])


def test_unsupported_operand_types_raise_type_error():
    x = Value(1.0)
    for bad in ("2", None, [1], True):
        with pytest.raises(TypeError):
            x + bad
        with pytest.raises(TypeError):
            bad * x


# -- the edge-case policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "error", "pattern"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log: .*> 0.*0\.0"),
        (lambda: Value(-2.0).log(), ValueError, r"log: .*-2\.0"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt: .*-1\.0"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"\*\*: negative base -8\.0 .*non-integer"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"negative base"),
        (lambda: (-2.0) ** Value(0.5), ValueError, r"negative base"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"/: division by zero"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"/: division by zero"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"\*\*: 0 cannot be raised to a negative power"),
        (lambda: Value(710.0).exp(), OverflowError, r"exp: .*710\.0"),
        (lambda: Value(10.0) ** 400, OverflowError, r"\*\*: .*overflows"),
        (lambda: Value(math.inf).sin(), ValueError, r"sin: .*inf"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(f, error, pattern):
    with pytest.raises(error, match=pattern):
        f()


def test_documented_choices_at_kinks():
    for f in (lambda x: x.relu(), abs):
        _, g = grad_of(f, 0.0)
        assert g == 0.0


def test_infinite_slopes_are_inf_not_errors():
    assert grad_of(lambda x: x.sqrt(), 0.0) == (0.0, math.inf)
    assert grad_of(lambda x: x**0.5, 0.0) == (0.0, math.inf)
    assert grad_of(lambda x: x**1, 0.0) == (0.0, 1.0)
    assert grad_of(lambda x: x**2, 0.0) == (0.0, 0.0)


@pytest.mark.parametrize("x0", [-1e308, -1000.0, -40.0, 40.0, 1000.0, 1e308])
def test_tanh_and_sigmoid_are_stable_for_huge_inputs(x0):
    t, dt = grad_of(lambda x: x.tanh(), x0)
    s, ds = grad_of(lambda x: x.sigmoid(), x0)
    assert t == math.copysign(1.0, x0) and dt == 0.0
    assert s == (1.0 if x0 > 0 else 0.0) or 0.0 < s < 1.0
    assert math.isfinite(ds) and 0.0 <= ds < 1e-15


def test_gradwalk_functions_take_floats_and_values():
    for name in ("exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt"):
        f = getattr(autograd, name)
        assert f(0.7) == getattr(Value(0.7), name)().data
    with pytest.raises(TypeError, match="str"):
        autograd.exp("1")
    with pytest.raises(ValueError, match="log"):
        autograd.log(-1.0)


def test_operands_are_recorded_in_the_order_written():
    x = Value(0.5)
    node = 2 - x
    assert node.op == "-" and node.creator is autograd.ops.SUB
    assert node.operands == (2.0, x) and node.parents == (x,) and node.local_grads == (-1.0,)
    assert (x - 2).operands == (x, 2.0) and (x - 2).local_grads == (1.0,)
    assert (2**x).operands == (2.0, x) and (2**x).local_grads == (pytest.approx(2**0.5 * math.log(2)),)
    assert (x * x).operands == (x, x) == (x * x).parents
