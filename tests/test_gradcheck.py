"""gradcheck and gradgradcheck: passing cases, the failure messages, and bad arguments."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, find, given, settings

import autograd
from autograd import Value, op
from autograd.grad_mode import is_recording
from autograd.testing import GradcheckError, gradcheck, gradgradcheck
from autograd.testing.strategies import expressions

# square with its derivative wrongly written as 3x: at x = 1.3 backward says 3.9, the truth is 2.6
bad_square = op("square", lambda x: x * x, lambda x: 3 * x)


# -- gradcheck passes where backward is right -----------------------------------------------------


def test_passes_for_a_smooth_function_of_several_inputs():
    assert gradcheck(lambda x, y, z: (x * y).tanh() + z.log() / y, [0.3, -1.7, 2.5]) is True


def test_passes_for_several_outputs_given_as_list_or_tuple():
    assert gradcheck(lambda x, y: [x * y, x.sin(), y**2], [0.4, 1.1])
    assert gradcheck(lambda x, y: (x / y, y.exp()), [0.4, 1.1])


def test_outputs_sharing_a_graph_do_not_add_up_their_grads():
    # If the second output reused the first's leaves, ∂/∂x would read 2x(1−t²)+(1−t²) instead.
    def f(x):
        t = x.tanh()
        return [t, t * t]

    assert gradcheck(f, [0.7])


def test_an_output_that_is_an_input_or_ignores_one():
    assert gradcheck(lambda x, y: x, [0.5, 2.0])
    assert gradcheck(lambda x, y: [y, Value(3.0)], [0.5, 2.0])


def test_analytic_pass_records_and_finite_differences_do_not():
    recording = []

    def f(x, y):
        recording.append(is_recording())
        return [x * y, x + y]

    gradcheck(f, [1.0, 2.0])
    # one recorded call per output, then two unrecorded calls per input
    assert recording.count(True) == 2
    assert recording.count(False) == 4


# -- failures name the place and show both numbers ----------------------------------------------------


def test_wrong_derivative_is_reported_with_both_values():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: bad_square(x), [1.3])
    message = str(caught.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in message
    assert "x0=1.3" in message
    assert "analytic 3.9 " in message
    assert "numeric  2.6 " in message
    ((output, where, analytic, numeric),) = caught.value.mismatches
    assert (output, where) == (0, (0,))
    assert analytic == pytest.approx(3.9)
    assert numeric == pytest.approx(2.6)


def test_message_names_the_failing_output_and_input_only():
    # ∂/∂y is wrong (x instead of 2y); ∂/∂x is right; output 0 does not use the op
    f_op = op("f", lambda x, y: x * y * y, lambda x, y: y * y, lambda x, y: x)

    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: [x + y, f_op(x, y)], [2.0, 3.0])
    message = str(caught.value)
    assert "output 1 with respect to input 1" in message
    assert "output 0" not in message
    assert "input 0 " not in message
    assert [m[:2] for m in caught.value.mismatches] == [(1, (1,))]


def test_raise_exception_false_returns_false():
    assert gradcheck(lambda x: bad_square(x), [1.3], raise_exception=False) is False
    assert gradcheck(lambda x: x * x, [1.3], raise_exception=False) is True


def test_tolerances_decide_a_small_error():
    off = op("off", lambda x: x * x, lambda x: 2 * x + 1e-4)
    assert not gradcheck(lambda x: off(x), [0.0], raise_exception=False)
    assert gradcheck(lambda x: off(x), [0.0], atol=1e-3)
    # rtol scales with the derivative: 1e-4 off 2.0 is within 1e-3 relative
    assert gradcheck(lambda x: off(x), [1.0])


def test_nan_derivative_is_a_mismatch():
    nan_grad = op("nan_grad", lambda x: x, lambda x: math.nan)
    assert not gradcheck(lambda x: nan_grad(x), [1.0], raise_exception=False)


def test_long_failures_are_summarised():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda *xs: bad_square(autograd.sum(xs)), [0.1 * j for j in range(1, 13)])
    assert len(caught.value.mismatches) == 12
    assert "and 2 more mismatching entries" in str(caught.value)


# -- bad arguments raise clear errors --------------------------------------------------------------------


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_non_finite_input_is_refused(x):
    with pytest.raises(ValueError, match=r"input 1 is .*finite"):
        gradcheck(lambda a, b: a * b, [1.0, x])


@pytest.mark.parametrize(
    ("inputs", "pattern"),
    [
        (1.5, "sequence of floats"),
        ("12", "sequence of floats"),
        ([1.0, "2"], "input 1 must be a real number, got str"),
        ([True], "input 0 must be a real number, got bool"),
        ([Value(1.0)], "input 0 is a Value"),
    ],
)
def test_inputs_of_the_wrong_type_are_refused(inputs, pattern):
    with pytest.raises(TypeError, match=pattern):
        gradcheck(lambda *xs: xs[0], inputs)


def test_empty_inputs_are_refused():
    with pytest.raises(ValueError, match="inputs is empty"):
        gradcheck(lambda: Value(1.0), [])


@pytest.mark.parametrize(
    ("f", "pattern"),
    [
        (lambda x: 2.0, "must return a Value or a non-empty sequence of Values, got float"),
        (lambda x: [], "got list"),
        (lambda x: [x, 1.0], "output 1 of f is float"),
        ("not a function", "f must be callable"),
    ],
)
def test_f_must_return_values(f, pattern):
    with pytest.raises(TypeError, match=pattern):
        gradcheck(f, [1.0])


@pytest.mark.parametrize(
    ("name", "value"), [("eps", 0.0), ("eps", -1e-6), ("atol", math.nan), ("rtol", -1.0)]
)
def test_bad_tolerances_are_refused(name, value):
    with pytest.raises(ValueError, match=name):
        gradcheck(lambda x: x * x, [1.0], **{name: value})


def test_f_with_a_varying_number_of_outputs_is_refused():
    calls = []

    def f(x):
        calls.append(None)
        return [x] * len(calls)

    with pytest.raises(ValueError, match="returned 1 outputs on one call and 2 on another"):
        gradcheck(f, [1.0])


# -- gradgradcheck -----------------------------------------------------------------------------------


def test_gradgradcheck_passes_for_smooth_functions():
    assert gradgradcheck(lambda x, y: (x * y).tanh() + x.exp() * y.sin(), [0.3, -0.8])
    assert gradgradcheck(lambda x, y: [x / y, (x**y).log(), x.sigmoid()], [1.4, 0.6])


def test_gradgradcheck_of_a_linear_function():
    assert gradgradcheck(lambda x, y: 3 * x - y + 1, [0.5, 2.0])


# The first derivative below is right on floats (bad_square(x) as a float is x²), but as a graph
# it is 3·bad_square(x), whose derivative 9x disagrees with the true 6x.
cube = op("cube", lambda x: x**3, lambda x: 3 * bad_square(x))


def test_gradcheck_passes_where_only_the_second_derivative_is_wrong():
    assert gradcheck(lambda x: cube(x), [1.3])


def test_gradgradcheck_reports_a_wrong_second_derivative():
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x: cube(x), [1.3])
    message = str(caught.value)
    assert "Hessian mismatch for output 0 with respect to inputs 0 and 0" in message
    assert "analytic 11.7 " in message  # 9x
    assert "numeric  7.8 " in message  # 6x
    assert not gradgradcheck(lambda x: cube(x), [1.3], raise_exception=False)


def test_gradgradcheck_reports_a_wrong_mixed_partial():
    # ∂/∂x = bad_square(y)/y is y on floats, but its y-derivative as a graph is 2, not 1
    mul = op("mul", lambda x, y: x * y, lambda x, y: bad_square(y) / y, lambda x, y: x)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x, y: mul(x, y), [0.5, 1.5])
    assert [m[:2] for m in caught.value.mismatches] == [(0, (0, 1))]
    assert "inputs 0 and 1 (d²/dx0 dx1)" in str(caught.value)


def test_gradgradcheck_checks_its_arguments_as_gradcheck_does():
    with pytest.raises(ValueError, match="gradgradcheck: input 0"):
        gradgradcheck(lambda x: x, [math.nan])


# -- a wrong derivative is caught by a property test, which shrinks to a small formula --------------------


def test_property_test_shrinks_to_the_broken_op():
    examples = []

    @settings(database=None, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(expressions(ops=[bad_square]))
    def backward_matches_finite_differences(e):
        examples.append(e)
        assert gradcheck(e, e.inputs)

    with pytest.raises(GradcheckError, match="Jacobian mismatch") as caught:
        backward_matches_finite_differences()
    shrunk = examples[-1]  # hypothesis replays the shrunk example last
    assert "square" in shrunk.op_names
    assert shrunk.n_ops <= 2  # almost always square(x0) at x0=1.0
    (note,) = [note for note in caught.value.__notes__ if "e=" in note]
    assert f"e={shrunk!r}" in note


def test_find_returns_a_small_failing_formula():
    e = find(
        expressions(ops=[bad_square]),
        lambda e: not gradcheck(e, e.inputs, raise_exception=False),
        settings=settings(database=None, max_examples=500),
    )
    assert "square" in e.op_names
    assert e.n_ops <= 2
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(e, e.inputs)
