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


# -- every op of the table against its closed form --------------------------------------------------

LN2 = math.log(2.0)
#: op name → (f written as a user would, x0 (a tuple for two operands), value, ∂/∂x0 (one per operand)).
CLOSED_FORMS = {
    "add": (lambda x, y: x + y, (1.5, -2.0), -0.5, (1.0, 1.0)),
    "sub": (lambda x, y: x - y, (1.5, -2.0), 3.5, (1.0, -1.0)),
    "mul": (lambda x, y: x * y, (1.5, -2.0), -3.0, (-2.0, 1.5)),
    "div": (lambda x, y: x / y, (1.5, -2.0), -0.75, (-0.5, -1.5 / 4)),
    "pow": (lambda x, y: x**y, (1.5, 2.5), 1.5**2.5, (2.5 * 1.5**1.5, 1.5**2.5 * math.log(1.5))),
    "mod": (lambda x, y: x % y, (5.5, 2.0), 1.5, (1.0, -2.0)),
    "atan2": (autograd.atan2, (1.0, 2.0), math.atan2(1.0, 2.0), (2.0 / 5, -1.0 / 5)),
    "hypot": (autograd.hypot, (3.0, 4.0), 5.0, (0.6, 0.8)),
    "neg": (lambda x: -x, 1.5, -1.5, (-1.0,)),
    "abs": (abs, -1.5, 1.5, (-1.0,)),
    "sign": (autograd.sign, -1.5, -1.0, (0.0,)),
    "relu": (autograd.relu, 1.5, 1.5, (1.0,)),
    "exp": (autograd.exp, 0.5, math.exp(0.5), (math.exp(0.5),)),
    "exp2": (autograd.exp2, 3.0, 8.0, (8.0 * LN2,)),
    "expm1": (autograd.expm1, 1e-3, math.expm1(1e-3), (math.exp(1e-3),)),
    "log": (autograd.log, 2.0, math.log(2.0), (0.5,)),
    "log2": (autograd.log2, 8.0, 3.0, (1 / (8.0 * LN2),)),
    "log10": (autograd.log10, 100.0, 2.0, (1 / (100.0 * math.log(10.0)),)),
    "log1p": (autograd.log1p, 1e-3, math.log1p(1e-3), (1 / 1.001,)),
    "sqrt": (autograd.sqrt, 4.0, 2.0, (0.25,)),
    "sin": (autograd.sin, 0.5, math.sin(0.5), (math.cos(0.5),)),
    "cos": (autograd.cos, 0.5, math.cos(0.5), (-math.sin(0.5),)),
    "tan": (autograd.tan, 0.5, math.tan(0.5), (1 / math.cos(0.5) ** 2,)),
    "asin": (autograd.asin, 0.5, math.asin(0.5), (1 / math.sqrt(0.75),)),
    "acos": (autograd.acos, 0.5, math.acos(0.5), (-1 / math.sqrt(0.75),)),
    "atan": (autograd.atan, 0.5, math.atan(0.5), (1 / 1.25,)),
    "sinh": (autograd.sinh, 0.5, math.sinh(0.5), (math.cosh(0.5),)),
    "cosh": (autograd.cosh, 0.5, math.cosh(0.5), (math.sinh(0.5),)),
    "tanh": (autograd.tanh, 0.5, math.tanh(0.5), (1 / math.cosh(0.5) ** 2,)),
    "asinh": (autograd.asinh, 0.5, math.asinh(0.5), (1 / math.sqrt(1.25),)),
    "acosh": (autograd.acosh, 2.0, math.acosh(2.0), (1 / math.sqrt(3.0),)),
    "atanh": (autograd.atanh, 0.5, math.atanh(0.5), (1 / 0.75,)),
    "sigmoid": (
        autograd.sigmoid,
        0.5,
        1 / (1 + math.exp(-0.5)),
        (math.exp(-0.5) / (1 + math.exp(-0.5)) ** 2,),
    ),
}


def test_every_op_of_the_table_has_a_closed_form_here():
    # Adding an op to autograd/ops.py means adding its line above: this test says which is missing.
    assert set(CLOSED_FORMS) == {op.name for op in autograd.ops.BUILTIN_OPS}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_each_op_against_its_closed_form(name):
    f, x0, value, derivatives = CLOSED_FORMS[name]
    xs = [Value(x) for x in (x0 if isinstance(x0, tuple) else (x0,))]
    y = f(*xs)
    y.backward()
    assert y.op == getattr(autograd.ops, name.upper()).symbol
    assert y.data == pytest.approx(value, rel=1e-12)
    assert tuple(x.grad for x in xs) == pytest.approx(derivatives, rel=1e-12)
    floats = f(*(x.data for x in xs))  # the same function on floats gives the same float
    assert floats == y.data


@pytest.mark.parametrize(
    ("f", "error", "pattern"),
    [
        (lambda: autograd.asin(1.5), ValueError, r"asin: .*-1 ≤ x ≤ 1.*1\.5"),
        (lambda: Value(-1.0).acosh(), ValueError, r"acosh: .*x ≥ 1.*-1\.0"),
        (lambda: Value(1.0).atanh(), ValueError, r"atanh: .*1\.0"),
        (lambda: Value(-1.0).log1p(), ValueError, r"log1p: .*x > -1.*-1\.0"),
        (lambda: Value(0.0).log2(), ValueError, r"log2: .*x > 0"),
        (lambda: Value(-5.0).log10(), ValueError, r"log10: .*-5\.0"),
        (lambda: Value(1000.0).sinh(), OverflowError, r"sinh: .*1000\.0"),
        (lambda: Value(1000.0).cosh(), OverflowError, r"cosh: .*overflows"),
        (lambda: Value(1100.0).exp2(), OverflowError, r"\*\*|exp2"),
        (lambda: Value(800.0).expm1(), OverflowError, r"expm1: .*800\.0"),
        (lambda: Value(math.inf).tan(), ValueError, r"tan: .*inf"),
        (lambda: Value(5.0) % 0, ZeroDivisionError, r"%: division by zero"),
        (lambda: 5.0 % Value(0.0), ZeroDivisionError, r"%: division by zero"),
    ],
)
def test_new_ops_name_themselves_and_the_value_in_domain_errors(f, error, pattern):
    with pytest.raises(error, match=pattern):
        f()


def test_infinite_slopes_at_domain_edges_are_inf():
    for f, x0 in ((autograd.asin, 1.0), (autograd.acos, -1.0), (autograd.acosh, 1.0)):
        x = Value(x0)
        f(x).backward()
        assert math.isinf(x.grad)


def test_abs_neg_and_pow_as_functions():
    x = Value(-2.0)
    assert autograd.abs(x).data == 2.0 and autograd.neg(x).data == 2.0 and autograd.pow(x, 3).data == -8.0
    assert autograd.abs(-2.0) == 2.0 and autograd.pow(2.0, 0.5) == math.sqrt(2.0)
    y = autograd.pow(2.0, x)  # a number base and a Value exponent
    y.backward()
    assert x.grad == pytest.approx(0.25 * math.log(2.0))
    assert y.operands == (2.0, x)
