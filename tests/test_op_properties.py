"""The law for every op: backward agrees with central finite differences in float64.

Each built-in op is checked alone (with Values and numbers on either side), then sum and dot,
then random formulas over all of them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import ops
from autograd.testing import gradcheck, gradgradcheck
from autograd.testing.expression import BUILTIN_SPECS
from autograd.testing.strategies import expressions, values

# How a user writes each op of the table (`x * y`, `abs(x)`, `autograd.atan2(x, y)`), from its record.
SPELLING = {name: spec.apply for name, spec in BUILTIN_SPECS.items() if spec.arity is not None}
UNARY = [op.name for op in ops.BUILTIN_OPS if op.arity == 1]
BINARY = [op.name for op in ops.BUILTIN_OPS if op.arity == 2]
SMOOTH = settings(max_examples=100, deadline=None)


def test_every_op_of_the_table_is_covered():
    assert set(SPELLING) == {op.name for op in ops.BUILTIN_OPS}
    assert {"sum", "dot"} <= set(BUILTIN_SPECS)


@pytest.mark.parametrize("name", UNARY)
@SMOOTH
@given(data=st.data())
def test_unary_op(name, data):
    x = data.draw(values(name), label="x")
    f = SPELLING[name]
    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])


@pytest.mark.parametrize("name", BINARY)
@SMOOTH
@given(data=st.data())
def test_binary_op_of_two_values_in_both_orders(name, data):
    x, y = data.draw(values(name), label="x, y")
    f = SPELLING[name]
    assert gradcheck(f, [x, y])
    assert gradcheck(lambda b, a: f(a, b), [y, x])
    assert gradgradcheck(f, [x, y])


@pytest.mark.parametrize("name", BINARY)
@SMOOTH
@given(data=st.data())
def test_binary_op_with_a_number_on_either_side(name, data):
    x, y = data.draw(values(name), label="x, y")
    f = SPELLING[name]
    assert gradcheck(lambda a: f(a, y), [x])  # Value op number: __add__ and friends
    assert gradcheck(lambda b: f(x, b), [y])  # number op Value: __radd__ and friends
    assert gradgradcheck(lambda a: f(a, y), [x])
    assert gradgradcheck(lambda b: f(x, b), [y])


@pytest.mark.parametrize("name", BINARY)
@SMOOTH
@given(x=st.floats(0.5, 3.0))
def test_binary_op_with_the_same_value_on_both_sides(name, x):
    f = SPELLING[name]
    assert gradcheck(lambda a: f(a, a), [x])
    assert gradgradcheck(lambda a: f(a, a), [x])


@SMOOTH
@given(x=st.floats(-3.0, -0.1), n=st.sampled_from([1, 2, 3, -1, -2]))
def test_negative_base_to_an_integer_power(x, n):
    assert gradcheck(lambda a: a**n, [x])


def _mixed(draw_from: st.DataObject, n: int, label: str) -> list[tuple[bool, float]]:
    """n operands, each a Value (True) or a number (False), with its float."""
    return draw_from.draw(st.lists(st.tuples(st.booleans(), values()), min_size=n, max_size=n), label=label)


def _with_values(operands: list[tuple[bool, float]], leaves: tuple) -> list:
    """The operands with each Value slot filled from leaves, in order."""
    it = iter(leaves)
    return [next(it) if is_value else x for is_value, x in operands]


@SMOOTH
@given(data=st.data(), n=st.integers(1, 6))
def test_sum_of_values_and_numbers(data, n):
    operands = _mixed(data, n, "operands")
    inputs = [x for is_value, x in operands if is_value]
    if inputs:
        assert gradcheck(lambda *leaves: autograd.sum(_with_values(operands, leaves)), inputs)


@SMOOTH
@given(data=st.data(), n=st.integers(1, 4))
def test_dot_of_values_and_numbers(data, n):
    xs, ys = _mixed(data, n, "xs"), _mixed(data, n, "ys")
    inputs = [x for is_value, x in xs + ys if is_value]
    if inputs:

        def f(*leaves):
            k = sum(is_value for is_value, _ in xs)
            return autograd.dot(_with_values(xs, leaves[:k]), _with_values(ys, leaves[k:]))

        assert gradcheck(f, inputs)
        assert gradgradcheck(f, inputs)


@settings(max_examples=200, deadline=None)
@given(expressions())
def test_random_formulas_backward_matches_central_differences(e):
    assert gradcheck(e, e.inputs)


@settings(max_examples=100, deadline=None)
@given(expressions(max_ops=4))
def test_random_formulas_second_derivatives_match(e):
    assert gradgradcheck(e, e.inputs)
