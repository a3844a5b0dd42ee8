"""Higher-order derivatives: backward(create_graph=True), repeated grad, and one rule per op."""

import ast
import math
import pathlib
import re
from collections.abc import Callable

import pytest

import autograd
from autograd import Value, grad, hessian, methods, no_grad, op
from autograd import ops as rules
from autograd.graph import iter_nodes
from autograd.op import Op

# -- closed forms, written out independently of the rule table -------------------------------------


def tanh_derivatives(x: float) -> list[float]:
    t = math.tanh(x)
    s = 1 - t * t  # sech²x
    return [t, s, -2 * t * s, s * (6 * t * t - 2), 8 * t * s * (2 - 3 * t * t)]


def sigmoid_derivatives(x: float) -> list[float]:
    s = 1 / (1 + math.exp(-x))
    d1 = s * (1 - s)
    return [
        s,
        d1,
        d1 * (1 - 2 * s),
        d1 * (1 - 6 * s + 6 * s * s),
        d1 * (1 - 2 * s) * (1 - 12 * s + 12 * s * s),
    ]


def exp_derivatives(x: float) -> list[float]:
    return [math.exp(x)] * 5


def log_derivatives(x: float) -> list[float]:
    # d^n/dx^n ln x = (−1)^(n−1) (n−1)! / x^n
    return [math.log(x)] + [(-1) ** (n - 1) * math.factorial(n - 1) / x**n for n in range(1, 5)]


def sin_derivatives(x: float) -> list[float]:
    return [math.sin(x), math.cos(x), -math.sin(x), -math.cos(x), math.sin(x)]


def cos_derivatives(x: float) -> list[float]:
    return [math.cos(x), -math.sin(x), -math.cos(x), math.sin(x), math.cos(x)]


def sqrt_derivatives(x: float) -> list[float]:
    # d^n/dx^n x^(1/2) = (1/2)(1/2 − 1)…(1/2 − n + 1) x^(1/2 − n)
    out, coefficient = [], 1.0
    for n in range(5):
        out.append(coefficient * x ** (0.5 - n))
        coefficient *= 0.5 - n
    return out


CASES = [
    ("tanh", autograd.tanh, tanh_derivatives, [-2.1, -0.4, 0.0, 0.5, 1.7]),
    ("sigmoid", autograd.sigmoid, sigmoid_derivatives, [-3.0, -0.6, 0.0, 0.9, 2.5]),
    ("exp", autograd.exp, exp_derivatives, [-1.5, 0.0, 0.3, 2.0]),
    ("log", autograd.log, log_derivatives, [0.2, 1.0, 2.5, 7.0]),
    ("sin", autograd.sin, sin_derivatives, [-2.0, 0.0, 0.7, 3.0]),
    ("cos", autograd.cos, cos_derivatives, [-2.0, 0.0, 0.7, 3.0]),
    ("sqrt", autograd.sqrt, sqrt_derivatives, [0.3, 1.0, 4.0]),
]
PARAMS = [pytest.param(f, closed, x, id=f"{name}({x})") for name, f, closed, xs in CASES for x in xs]


def derivatives_by_grad(f: Callable, x: float, order: int) -> list[float]:
    """[f(x), f'(x), …] by composing grad: grad(grad(…(f)))."""
    out, g = [], f
    for _ in range(order + 1):
        out.append(g(x))
        g = grad(g)
    return out


def derivatives_by_backward(f: Callable, x: float, order: int) -> list[float]:
    """[f(x), f'(x), …] by repeated backward(create_graph=True) on the previous derivative."""
    leaf = Value(x)
    d = f(leaf)
    out = [d.data]
    for _ in range(order):
        leaf.grad = 0.0
        d.backward(create_graph=True)
        d = leaf.grad
        assert type(d) is Value
        out.append(d.data)
    return out


@pytest.mark.parametrize("how", [derivatives_by_grad, derivatives_by_backward])
@pytest.mark.parametrize(("f", "closed", "x"), PARAMS)
def test_derivatives_up_to_order_four_match_closed_forms(how, f, closed, x):
    got = how(f, x, 4)
    assert got == pytest.approx(closed(x), rel=1e-9, abs=1e-12)


def test_sigmoid_derivatives_agree_with_tanh_ones():
    # σ(x) = (1 + tanh(x/2)) / 2, so σ⁽ⁿ⁾(x) = tanh⁽ⁿ⁾(x/2) / 2ⁿ⁺¹ for n ≥ 1: a second, unrelated oracle.
    for x in (-1.3, 0.2, 2.2):
        from_sigmoid = derivatives_by_grad(autograd.sigmoid, x, 4)[1:]
        from_tanh = derivatives_by_grad(autograd.tanh, x / 2, 4)[1:]
        expected = [d / 2 ** (n + 1) for n, d in enumerate(from_tanh, start=1)]
        assert from_sigmoid == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_powers_differentiate_down_to_a_constant_then_zero():
    # x⁴ → 4x³ → 12x² → 24x → 24 → 0, with the exponent a number and with it a Value.
    x = 1.3
    expected = [x**4, 4 * x**3, 12 * x**2, 24 * x, 24.0, 0.0]
    assert derivatives_by_grad(lambda v: v**4, x, 5) == pytest.approx(expected)
    assert derivatives_by_grad(lambda v: v ** Value(4.0), x, 5)[1:] == pytest.approx(expected[1:])
    # d/dy x^y = x^y ln x, twice: x^y (ln x)²
    assert grad(grad(lambda y: 2.0**y))(1.5) == pytest.approx(2.0**1.5 * math.log(2.0) ** 2)


def test_tanh_derivatives_on_floats_for_plotting():
    # The notebook plots tanh and its first four derivatives from exactly this expression.
    d4 = grad(grad(grad(grad(autograd.tanh))))
    for x in (-3.0, -0.5, 0.0, 1.0, 3.0):
        value = d4(x)
        assert type(value) is float
        assert value == pytest.approx(tanh_derivatives(x)[4], abs=1e-12)


# -- the Hessian -----------------------------------------------------------------------------------


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize(("x", "y"), [(1.0, 1.0), (-1.2, 1.0), (0.3, -0.7), (2.0, 3.5)])
def test_rosenbrock_hessian_matches_closed_form(x, y):
    expected = [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]]
    got = hessian(rosenbrock)(x, y)
    assert len(got) == 2 and all(len(row) == 2 for row in got)
    assert got[0] == pytest.approx(expected[0], rel=1e-12)
    assert got[1] == pytest.approx(expected[1], rel=1e-12)
    assert all(type(h) is float for row in got for h in row)


def test_hessian_of_three_arguments_is_symmetric_and_correct():
    f = lambda a, b, c: a * b * c + autograd.exp(a * c) + b**3
    a, b, c = 0.4, -1.1, 0.8
    e = math.exp(a * c)
    expected = [
        [c * c * e, c, b + e + a * c * e],
        [c, 6 * b, a],
        [b + e + a * c * e, a, a * a * e],
    ]
    got = hessian(f)(a, b, c)
    for row, expected_row in zip(got, expected, strict=True):
        assert row == pytest.approx(expected_row, rel=1e-12)
    assert all(got[i][j] == got[j][i] for i in range(3) for j in range(3))


# -- backward(create_graph=True) -------------------------------------------------------------------


def test_create_graph_example_from_the_issue():
    x = Value(0.7)
    y = x**3
    y.backward(create_graph=True)
    gx = x.grad
    assert type(gx) is Value and gx.data == pytest.approx(3 * 0.7**2)
    x.grad = 0.0
    gx.backward()
    assert x.grad == pytest.approx(6 * 0.7)


def test_create_graph_with_shared_subexpressions():
    # y = s·s + tanh(s), s = x·z: every path through s must contribute to both orders.
    x, z = Value(0.6), Value(-1.4)
    s = x * z
    y = s * s + s.tanh()
    y.backward(create_graph=True)
    sv = 0.6 * -1.4
    t = math.tanh(sv)
    dy_ds = 2 * sv + 1 - t * t
    assert x.grad.data == pytest.approx(dy_ds * -1.4)
    assert z.grad.data == pytest.approx(dy_ds * 0.6)
    # ∂/∂x of ∂y/∂x = z² · d²y/ds², with d²y/ds² = 2 − 2t(1 − t²)
    gx = x.grad
    x.grad, z.grad = 0.0, 0.0
    gx.backward()
    d2y_ds2 = 2 - 2 * t * (1 - t * t)
    assert x.grad == pytest.approx(1.4**2 * d2y_ds2)
    # ∂/∂z of ∂y/∂x = dy/ds + x·z·d²y/ds²  (the product rule through s = x·z)
    assert z.grad == pytest.approx(dy_ds + 0.6 * -1.4 * d2y_ds2)


def test_every_grad_is_a_value_even_a_constant_one():
    x = Value(2.0)
    y = 3 * x + 1
    y.backward(create_graph=True)
    assert all(type(node.grad) is Value for node in iter_nodes(y))
    gx = x.grad
    assert gx.data == 3.0
    x.grad = 0.0
    gx.backward()
    assert x.grad == 0.0  # the derivative of a constant


def test_calling_backward_with_create_graph_twice_accumulates_leaf_grads_as_values():
    x = Value(0.5)
    y = x.sin() * x
    y.backward(create_graph=True)
    first = x.grad
    y.backward(create_graph=True)
    assert type(x.grad) is Value and x.grad is not first
    dy = math.cos(0.5) * 0.5 + math.sin(0.5)
    assert x.grad.data == pytest.approx(2 * dy)
    # The accumulated grad is a graph of both passes: its derivative is twice y''.
    total = x.grad
    x.grad = 0.0
    total.backward()
    assert x.grad == pytest.approx(2 * (2 * math.cos(0.5) - 0.5 * math.sin(0.5)))


def test_interior_grads_are_recomputed_by_a_second_create_graph_pass():
    x = Value(1.5)
    h = x * x
    y = h.exp()
    y.backward(create_graph=True)
    first = h.grad.data
    y.backward(create_graph=True)
    assert h.grad.data == first == pytest.approx(math.exp(1.5**2))


def test_a_plain_backward_after_create_graph_adds_a_number_to_the_value_grad():
    x = Value(0.5)
    y = x * x * x
    y.backward(create_graph=True)
    y.backward()
    assert x.grad.data == pytest.approx(2 * 3 * 0.25)


def test_seed_can_be_a_value_when_creating_the_graph():
    x, w = Value(0.3), Value(2.0)
    y = x.exp()
    y.backward(w, create_graph=True)  # x.grad = w·e^x, a function of w too
    assert x.grad.data == pytest.approx(2.0 * math.exp(0.3))
    gx = x.grad
    x.grad = 0.0
    gx.backward()
    assert w.grad == pytest.approx(math.exp(0.3))
    assert x.grad == pytest.approx(2.0 * math.exp(0.3))


def test_create_graph_with_no_grad():
    x = Value(0.8)
    with no_grad():
        c = x * x  # a constant: recorded without parents
    y = c * x.sin()
    y.backward(create_graph=True)
    assert x.grad.data == pytest.approx(0.64 * math.cos(0.8))  # no path through c
    gx = x.grad
    x.grad = 0.0
    gx.backward()
    assert x.grad == pytest.approx(-0.64 * math.sin(0.8))

    # backward(create_graph=True) records the gradient graph even when called inside no_grad.
    x = Value(0.8)
    y = x**3
    with no_grad():
        y.backward(create_graph=True)
    assert not x.grad.is_leaf
    gx = x.grad
    x.grad = 0.0
    gx.backward()
    assert x.grad == pytest.approx(6 * 0.8)


def test_variadic_sum_and_dot_to_second_order():
    x, y = Value(0.5), Value(-2.0)
    out = autograd.dot([x, y, x], [y, y, x]) + autograd.sum([x * x, y])  # xy + y² + 2x² + y
    out.backward(create_graph=True)
    gx, gy = x.grad, y.grad
    assert (gx.data, gy.data) == pytest.approx((-2.0 + 4 * 0.5, 0.5 + 2 * -2.0 + 1))
    x.grad = y.grad = 0.0
    gx.backward()
    assert (x.grad, y.grad) == pytest.approx((4.0, 1.0))
    x.grad = y.grad = 0.0
    gy.backward()
    assert (x.grad, y.grad) == pytest.approx((1.0, 2.0))


# -- user ops --------------------------------------------------------------------------------------


def test_user_op_written_with_gradwalk_functions_differentiates_to_any_order():
    softplus = op("softplus", lambda x: math.log1p(math.exp(x)), lambda x: autograd.sigmoid(x))
    for x in (-1.0, 0.5):
        expected = sigmoid_derivatives(x)  # softplus' = σ, so softplus⁽ⁿ⁺¹⁾ = σ⁽ⁿ⁾
        assert derivatives_by_grad(softplus, x, 4)[1:] == pytest.approx(expected[:4], rel=1e-9)


def test_user_op_of_two_inputs_with_a_constant_operand():
    hypot = op(
        "hypot",
        math.hypot,
        lambda x, y: x / autograd.sqrt(x * x + y * y),
        lambda x, y: y / autograd.sqrt(x * x + y * y),
    )
    # ∂²/∂x² √(x² + c²) = c² / (x² + c²)^(3/2), with the constant on either side.
    x, c = 0.7, 2.0
    expected = c * c / (x * x + c * c) ** 1.5
    assert grad(grad(lambda v: hypot(v, c)))(x) == pytest.approx(expected)
    assert grad(grad(lambda v: hypot(c, v)))(x) == pytest.approx(expected)


def test_user_op_written_with_math_works_to_first_order_and_explains_higher_orders():
    mycos = op("mycos", math.cos, lambda x: -math.sin(x))
    assert grad(mycos)(0.3) == pytest.approx(-math.sin(0.3))
    x = Value(0.3)
    mycos(x).backward()
    assert x.grad == pytest.approx(-math.sin(0.3))
    with pytest.raises(TypeError, match=r"op 'mycos'.*math\.cos.*autograd\.cos"):
        mycos(Value(0.3)).backward(create_graph=True)
    with pytest.raises(TypeError, match=r"op 'mycos'.*cannot be differentiated again"):
        grad(grad(mycos))(0.3)
    with pytest.raises(TypeError, match="op 'mycos'"):
        hessian(mycos)(0.3)


def test_user_op_derivative_returning_a_non_number_names_the_op():
    bad = op("bad", lambda x: x, lambda x: "one" if type(x) is Value else 1.0)
    with pytest.raises(TypeError, match=r"op 'bad'.*str"):
        bad(Value(1.0)).backward(create_graph=True)


# -- one rule per op -------------------------------------------------------------------------------

PACKAGE = pathlib.Path(autograd.__file__).parent
SOURCES = {path: path.read_text() for path in PACKAGE.rglob("*.py")}


def test_each_builtin_op_is_constructed_exactly_once_in_the_package():
    ops = [*rules.BUILTIN_OPS, rules.SUM, rules.DOT]
    assert len({o.name for o in ops}) == len(ops)
    for o in ops:
        pattern = re.compile(r"\b(?:rule|Op\.from_math|Op)\(\s*" + re.escape(repr(o.name).replace("'", '"')))
        places = [path.name for path, text in SOURCES.items() for _ in pattern.finditer(text)]
        assert places == ["ops.py"], f"Op({o.name!r}) is constructed in {places}"


def names_defined_in(tree: ast.Module) -> set[str]:
    names = set()
    for n in tree.body:
        if isinstance(n, ast.FunctionDef):
            names.add(n.name)
        targets = (
            n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else []
        )
        names |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
    return names


def test_the_higher_order_machinery_holds_no_op_specific_formulas():
    # Nothing the rule table defines (its ops, rule helpers, gradwalk functions) may appear in
    # the code that builds higher derivatives: that code re-evaluates whatever rule a node's op
    # carries, so a formula there would be a second copy of a rule.
    forbidden = set()
    for rules_file in ("ops.py", "floats.py"):
        forbidden |= names_defined_in(ast.parse((PACKAGE / rules_file).read_text()))
    forbidden |= set(autograd.functions.FUNCTIONS)
    assert {"tanh", "sigmoid", "cos", "exp", "TANH", "MUL", "dpow_dx", "sign", "step"} <= forbidden
    for name in ("functional.py", "backprop.py"):
        tree = ast.parse((PACKAGE / name).read_text())
        nodes = list(ast.walk(tree))
        identifiers = {n.id for n in nodes if isinstance(n, ast.Name)}
        identifiers |= {n.attr for n in nodes if isinstance(n, ast.Attribute)}
        identifiers |= {
            a.asname or a.name for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names
        }
        modules = {n.module for n in nodes if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in nodes if isinstance(n, ast.Import) for a in n.names}
        assert not identifiers & forbidden, f"{name} uses {sorted(identifiers & forbidden)}"
        assert not modules & {"autograd.ops", "math", "cmath"}, f"{name} imports {sorted(modules)}"


@pytest.fixture
def swap_rule():
    """swap_rule(op, *derivatives): bind Value's method of op to a new record with other
    derivatives (records are immutable); afterwards the table's own record is bound again."""
    swapped = []

    def swap(op, *derivatives):
        swapped.append(op)
        methods.bind([Op.from_math(op.name, op.math[0], *derivatives, symbol=op.symbol)])

    yield swap
    methods.bind(swapped)


def test_changing_a_rule_changes_every_order_of_derivative(swap_rule):
    # Swap tanh's rule for a wrong one; first and higher derivatives must all follow the table,
    # which shows no other copy of the rule exists anywhere.
    swap_rule(rules.TANH, "2 * x")
    assert grad(autograd.tanh)(0.5) == pytest.approx(1.0)
    assert grad(grad(autograd.tanh))(0.5) == pytest.approx(2.0)
    assert grad(grad(grad(autograd.tanh)))(0.5) == 0.0
    x = Value(0.5)
    x.tanh().backward(create_graph=True)
    assert x.grad.data == pytest.approx(1.0)


def test_the_swapped_rule_is_put_back():
    x = Value(0.5)
    x.tanh().backward()
    assert x.grad == pytest.approx(1 - math.tanh(0.5) ** 2)
