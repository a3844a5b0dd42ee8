"""grad, value_and_grad and hessian: results, nesting without confusion, and clear errors."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, grad, hessian, no_grad, value_and_grad
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.strategies import expressions


def f3(x, y, z):
    return x * y + autograd.sin(z) * x**2


def df3(x, y, z):
    """∇f3, written by hand."""
    return (y + 2 * x * math.sin(z), x, x * x * math.cos(z))


# -- grad and value_and_grad -------------------------------------------------------------------------


def test_grad_of_one_argument_is_a_float():
    d = grad(lambda x: x * autograd.exp(x))
    for x in (-1.0, 0.0, 2.5):
        assert type(d(x)) is float
        assert d(x) == pytest.approx((1 + x) * math.exp(x))


def test_argnums_int_gives_a_number_and_tuple_gives_a_tuple():
    point = (0.5, -1.5, 2.0)
    expected = df3(*point)
    for i in range(3):
        assert grad(f3, argnums=i)(*point) == pytest.approx(expected[i])
    both = grad(f3, argnums=(2, 0))(*point)
    assert type(both) is tuple and both == pytest.approx((expected[2], expected[0]))
    assert grad(f3, argnums=(1,))(*point) == pytest.approx((expected[1],))
    assert grad(f3, argnums=-1)(*point) == pytest.approx(expected[2])
    assert grad(f3, argnums=(0, 0))(*point) == pytest.approx((expected[0], expected[0]))


def test_value_and_grad_evaluates_f_once():
    calls = []

    def f(x, y):
        calls.append((x, y))
        return x / y

    value, (dx, dy) = value_and_grad(f, argnums=(0, 1))(3.0, 2.0)
    assert len(calls) == 1
    assert (value, dx, dy) == pytest.approx((1.5, 0.5, -0.75))
    assert type(value) is float


def test_arguments_not_differentiated_are_passed_through_untouched():
    data = [1.0, 2.0, 3.0]

    def loss(w, xs, label):
        assert xs is data and label == "fit"
        return autograd.sum((w * x - 2 * x) ** 2 for x in xs)

    # d/dw Σ (w x − 2x)² = Σ 2x²(w − 2)
    assert grad(loss)(3.0, data, "fit") == pytest.approx(2 * 14.0 * (3.0 - 2))


def test_integer_inputs_are_accepted_as_floats():
    assert grad(lambda x, y: x**2 * y, argnums=(0, 1))(3, 2) == (12.0, 9.0)


def test_constant_functions_have_zero_derivative():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert grad(lambda x, y: y * 2, argnums=0)(1.0, 5.0) == 0.0
    assert grad(grad(lambda x: 7 * x))(1.0) == 0.0
    assert value_and_grad(lambda x: 4)(1.0) == (4.0, 0.0)


def test_grad_works_inside_no_grad():
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0


def test_no_grad_inside_f_stops_that_path():
    def f(x):
        with no_grad():
            c = x * x  # treated as a constant
        return c * x

    assert grad(f)(3.0) == 9.0  # not 3x² = 27


def test_grad_names_itself_after_f():
    assert grad(autograd.tanh).__name__ == "grad(tanh)"
    assert grad(grad(autograd.tanh)).__name__ == "grad(grad(tanh))"
    assert hessian(f3).__name__ == "hessian(f3)"


# -- Values in, Values out ---------------------------------------------------------------------------


def test_given_values_grad_returns_values_that_differentiate_again():
    x = Value(0.5)
    d = grad(lambda v: v * autograd.sin(v))(x)
    assert type(d) is Value and d.data == pytest.approx(math.sin(0.5) + 0.5 * math.cos(0.5))
    assert x.grad == 0.0  # computing a derivative leaves the user's grads alone
    d.backward()
    assert x.grad == pytest.approx(2 * math.cos(0.5) - 0.5 * math.sin(0.5))


def test_grad_leaves_grads_of_values_f_closes_over_untouched():
    w = Value(3.0)
    w.grad = 0.25
    assert grad(lambda x: w * x * x)(2.0) == 12.0
    assert w.grad == 0.25


def test_a_gradient_penalty_can_be_trained_through():
    # loss(w) = (∂/∂x (w·x²))² at x = 1.5 = (2wx)²: a derivative inside a loss, as in WGAN-GP.
    w = Value(0.8)
    penalty = grad(lambda x, w: w * x * x)(1.5, w) ** 2
    penalty.backward()
    assert w.grad == pytest.approx(2 * (2 * 0.8 * 1.5) * (2 * 1.5))


# -- nesting without perturbation confusion ---------------------------------------------------------


def test_nested_grad_does_not_confuse_levels():
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1; a confused implementation gives 2.
    assert grad(lambda x: x * grad(lambda y: x + y)(x))(1.0) == 1.0
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(1.0) == 1.0
    # The inner function closes over the outer x: d/dx [x · d/dy (x·y)] = d/dx x² = 2x.
    assert grad(lambda x: x * grad(lambda y: x * y)(3.0))(2.0) == 4.0


def test_nested_grad_with_the_same_value_on_both_levels():
    # d/dx [∂/∂y (x·y²)]|_{y=x} = d/dx [2x·y]|_{y=x} = d/dx 2x² = 4x
    assert grad(lambda x: grad(lambda y: x * y * y)(x))(1.5) == pytest.approx(6.0)
    # ∂/∂x of g(x, x) where g = ∂f/∂y: both slots count, each level only its own.
    inner = grad(lambda a, b: a * a * b * b, argnums=1)  # 2a²b
    assert grad(lambda x: inner(x, x))(1.5) == pytest.approx(6 * 1.5**2)


def test_mixed_partials_by_nesting_agree_with_hessian():
    point = (0.5, -1.5, 2.0)
    h = hessian(f3)(*point)
    for i in range(3):
        for j in range(3):

            def partial_i(*xs, i=i):
                return grad(f3, argnums=i)(*xs)

            assert grad(partial_i, argnums=j)(*point) == pytest.approx(h[i][j])


def test_grad_composes_to_fifth_order():
    d5 = grad(grad(grad(grad(grad(lambda x: x**6)))))
    assert d5(0.7) == pytest.approx(720 * 0.7)


# -- hessian -------------------------------------------------------------------------------------------


def test_hessian_of_one_argument_is_one_by_one():
    assert hessian(autograd.log)(2.0) == [[pytest.approx(-0.25)]]


def test_hessian_of_a_linear_function_is_zero():
    assert hessian(lambda x, y: 2 * x - y + 1)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]


def test_hessian_given_values_returns_values():
    x, y = Value(0.3), Value(1.2)
    h = hessian(lambda a, b: a**3 * b)(x, y)
    assert all(type(e) is Value for row in h for e in row)
    assert h[0][0].data == pytest.approx(6 * 0.3 * 1.2)
    h[0][0].backward()  # ∂/∂x (6xy) = 6y, ∂/∂y (6xy) = 6x
    assert (x.grad, y.grad) == pytest.approx((6 * 1.2, 6 * 0.3))


# -- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("result", [[1.0], "1.0", None, True, (Value(1.0),)])
def test_f_must_return_one_scalar(result):
    with pytest.raises(TypeError, match=r"grad\(<lambda>, argnums=0\): f must return one scalar.*got "):
        grad(lambda x: result)(1.0)


def test_argnums_out_of_range_names_the_count():
    with pytest.raises(ValueError, match=r"argnum 2 is out of range, f was called with 2 argument\(s\)"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnum -3 is out of range"):
        grad(lambda x, y: x * y, argnums=(0, -3))(1.0, 2.0)
    with pytest.raises(ValueError, match="called with no arguments"):
        grad(lambda: Value(1.0))()


@pytest.mark.parametrize("argnums", [1.0, "0", (), [0, 1], (0, "1"), True])
def test_argnums_must_be_an_int_or_tuple_of_ints(argnums):
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple of ints"):
        grad(f3, argnums=argnums)
    with pytest.raises(TypeError, match="value_and_grad: argnums"):
        value_and_grad(f3, argnums=argnums)


@pytest.mark.parametrize("bad", ["2.0", None, True, 1 + 2j, [1.0]])
def test_differentiated_inputs_must_be_real_numbers_or_values(bad):
    with pytest.raises(TypeError, match=r"argument 1 is differentiated.*real number or a Value, got"):
        grad(f3, argnums=(0, 1))(1.0, bad, 0.5)
    with pytest.raises(TypeError, match=r"hessian\(f3\): argument 1"):
        hessian(f3)(1.0, bad, 0.5)


def test_hessian_needs_arguments():
    with pytest.raises(TypeError, match="at least one argument"):
        hessian(lambda: 1.0)()


@pytest.mark.parametrize("f", [math.sin, lambda x: x + math.exp(x), lambda x: float(x) * x])
def test_turning_a_value_into_a_float_is_refused_with_a_hint(f):
    # Without the check these would silently drop the path through math.*: grad(math.sin) = 0.
    with pytest.raises(TypeError, match=r"turned a Value into a float.*autograd\.sin"):
        grad(f)(0.5)


def test_float_conversions_outside_grad_still_work():
    x = Value(0.5)
    grad(autograd.sin)(0.5)
    assert math.sin(x) == math.sin(0.5) and float(x) == 0.5


# -- the law: second derivatives agree with finite differences of first derivatives ---------------


@settings(max_examples=150, deadline=None)
@given(expressions(n_inputs=st.integers(1, 3), max_ops=6))
def test_second_derivatives_of_random_expressions_match_finite_differences(e):
    # backward(create_graph=True) then backward, against differences of backward's first derivatives
    assert gradgradcheck(e, e.inputs)
    # grad's gradient, differentiated again: its Jacobian is the Hessian, checked the same way.
    everything = tuple(range(e.n_inputs))
    assert gradcheck(lambda *xs: grad(e, argnums=everything)(*xs), e.inputs)
    # hessian agrees with differentiating grad twice, entry by entry.
    h = hessian(e)(*e.inputs)
    for i in everything:
        for j in everything:
            second = grad(lambda *xs, i=i: grad(e, argnums=i)(*xs), argnums=j)(*e.inputs)
            assert h[i][j] == pytest.approx(second, rel=1e-9, abs=1e-12)
