"""The hypothesis strategies: formulas stay inside every op's domain, read as written, and shrink."""

from __future__ import annotations

import math

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, op, ops
from autograd.backprop import run_backward as backward
from autograd.graph import iter_nodes
from autograd.testing import gradcheck
from autograd.testing.domains import GAP, GRAD_BOUND, VALUE_BOUND
from autograd.testing.expression import Const, ExpressionBuilder, spec_for
from autograd.testing.strategies import Domain, Expression, expressions, values

FEW = settings(max_examples=100, deadline=None)


def _operands_inside_their_domains(node: Value) -> bool:
    """Every operand of node's op lies inside the op's domain for it, at least GAP from edges and kinks."""
    if node.creator is None:
        return True
    domains = node.creator.domains
    xs = [a.data if isinstance(a, Value) else a for a in node.operands]
    inside = all(domains[min(i, len(domains) - 1)].admits(x, GAP) for i, x in enumerate(xs))
    return inside and (node.creator.where is None or node.creator.where(*xs))


@FEW
@given(expressions(max_ops=8))
def test_every_intermediate_value_is_inside_its_ops_domain_and_bounded(e):
    leaves = [Value(x) for x in e.inputs]
    root = e(*leaves)
    for node in iter_nodes(root):
        assert math.isfinite(node.data)
        assert abs(node.data) <= VALUE_BOUND
        assert _operands_inside_their_domains(node), node
        if not node.is_leaf:  # the promised gradient bound, Σ_k |∂node/∂x_k|
            for leaf in leaves:
                leaf.grad = 0.0
            backward(node)
            assert sum(abs(leaf.grad) for leaf in leaves) <= GRAD_BOUND * (1 + 1e-12)


@FEW
@given(expressions())
def test_a_formula_gives_the_same_number_on_floats_and_on_values(e):
    on_floats = e(*e.inputs)
    assert isinstance(on_floats, float)
    on_values = e(*[Value(x) for x in e.inputs])
    assert isinstance(on_values, Value)
    assert on_values.data == on_floats


@FEW
@given(expressions(n_inputs=2, max_ops=3))
def test_sizes_are_respected(e):
    assert e.n_inputs == len(e.inputs) == 2
    assert e.n_ops <= 3
    assert len(e.op_names) == e.n_ops


@FEW
@given(expressions(builtins=["tanh", "*"]))
def test_only_the_chosen_builtins_appear(e):
    assert set(e.op_names) <= {"tanh", "mul"}  # named by the table's names


def test_a_strategy_for_n_inputs_is_used():
    e = find(expressions(n_inputs=st.integers(2, 4)), lambda e: e.n_inputs == 4)
    assert len(e.inputs) == 4


# -- user ops and their domains ------------------------------------------------------------------------

seen_by_asin: list[float] = []


def _asin(x: float) -> float:
    seen_by_asin.append(x)
    return math.asin(x)


asin = op("asin", _asin, lambda x: 1 / autograd.sqrt(1 - x * x))


@FEW
@given(expressions(ops=[(asin, (-1, 1))], builtins=["tanh", "+", "*"]))
def test_a_user_op_is_only_applied_inside_its_domain(e):
    assert set(e.op_names) <= {"asin", "tanh", "add", "mul"}
    assert all(-1 + GAP <= x <= 1 - GAP for x in seen_by_asin)
    assert e(*[Value(x) for x in e.inputs]).data == e(*e.inputs)


def test_a_user_op_is_drawn_and_named_in_the_formula():
    e = find(expressions(ops=[(asin, Domain(-1, 1))], builtins=False), lambda e: e.n_ops >= 1)
    assert e.formula == "asin(x0)"
    assert e.op_names == ("asin",)


ratio = op("ratio", lambda x, y: x / y, lambda x, y: 1 / y, lambda x, y: -x / y**2)


@FEW
@given(expressions(ops=[(ratio, lambda x, y: abs(y) > 0.5)], builtins=False))
def test_a_predicate_domain(e):
    for node in iter_nodes(e(*[Value(x) for x in e.inputs])):
        if node.op == "ratio":
            y = node.operands[1]  # operands are recorded in written order
            assert abs(y.data if isinstance(y, Value) else y) > 0.5


@FEW
@given(values((asin, (-0.5, 0.5))))
def test_values_of_a_user_op_lie_in_its_interval(x):
    assert -0.5 + GAP <= x <= 0.5 - GAP


@pytest.mark.parametrize("name", [o.name for o in ops.BUILTIN_OPS])
@FEW
@given(data=st.data())
def test_values_of_a_builtin_op_are_safe_points(name, data):
    point = data.draw(values(name))
    xs = point if isinstance(point, tuple) else (point,)
    assert all(math.isfinite(x) for x in xs)
    assert ExpressionBuilder(xs).try_apply(spec_for(name), range(len(xs)))
    if name in ("log", "sqrt", "relu", "abs"):
        assert abs(xs[0]) >= GAP
    if name == "/":
        assert abs(xs[1]) >= GAP


@pytest.mark.parametrize(
    ("domain", "args", "admitted"),
    [
        (Domain(lo=0.0), (0.5,), True),
        (Domain(lo=0.0), (0.0005,), False),
        (Domain(kinks=(1.0,)), (1.0005,), False),
        ((0, 1), (0.9995,), False),
        ([Domain(), (0, 1)], (-5.0, 0.5), True),
        ([Domain(), (0, 1)], (0.5, -5.0), False),
    ],
)
def test_domains_decide_which_points_are_safe(domain, args, admitted):
    user_op = op("f", lambda *xs: 0.0, *[lambda *xs: 0.0] * len(args))
    builder = ExpressionBuilder(args)
    assert builder.try_apply(spec_for(user_op, domain), range(len(args))) is admitted


# -- the formula's text -----------------------------------------------------------------------------------


def _formula(n_inputs: int, *steps: tuple) -> Expression:
    builder = ExpressionBuilder([0.5 + 0.25 * i for i in range(n_inputs)])
    for name, *args in steps:
        assert builder.try_apply(spec_for(name), args)
    return builder.build()


@pytest.mark.parametrize(
    ("steps", "text"),
    [
        ((("+", 0, 1), ("*", 3, 2)), "(x0 + x1) * x2"),
        ((("*", 0, 1), ("+", 2, 3)), "x2 + x0 * x1"),
        ((("-", 1, 2), ("-", 0, 3)), "x0 - (x1 - x2)"),
        ((("-", 0, 1), ("-", 3, 2)), "x0 - x1 - x2"),
        ((("**", 1, 2), ("**", 0, 3)), "x0 ** x1 ** x2"),
        ((("**", 0, 1), ("**", 3, 2)), "(x0 ** x1) ** x2"),
        ((("neg", 0), ("**", 1, 3)), "x1 ** (-x0)"),
        ((("*", 0, 1), ("neg", 3)), "-(x0 * x1)"),
        ((("tanh", 0), ("/", Const(2.0), 3)), "2.0 / tanh(x0)"),
        ((("sum", 0, Const(0.5), 2),), "sum([x0, 0.5, x2])"),
        ((("dot", 0, 1, 2, Const(3.0)),), "dot([x0, x1], [x2, 3.0])"),
        (((autograd.op("hypot", math.hypot, lambda x, y: x, lambda x, y: y), 2, 0),), "hypot(x2, x0)"),
    ],
)
def test_formula_text_shows_the_order_of_evaluation(steps, text):
    assert _formula(3, *steps).formula == text


def test_formula_evaluates_as_its_text_reads():
    e = _formula(3, ("-", 1, 2), ("-", 0, 3), ("**", 4, Const(2.0)), ("log", 5))
    assert e.formula == "log((x0 - (x1 - x2)) ** 2.0)"
    x0, x1, x2 = e.inputs
    assert e(*e.inputs) == math.log((x0 - (x1 - x2)) ** 2.0)


def test_unused_steps_are_dropped_and_repr_gives_the_point():
    e = _formula(2, ("exp", 0), ("sin", 1))
    assert e.formula == "sin(x1)"
    assert e.op_names == ("sin",)
    assert repr(e) == "sin(x1)  at x0=0.5, x1=0.75"
    assert str(e) == "sin(x1)"


def test_no_step_means_the_last_input():
    e = _formula(2)
    assert e.formula == "x1"
    assert e(1.0, 2.0) == 2.0


def test_unsafe_steps_are_refused():
    builder = ExpressionBuilder([-1.0, 0.0, 800.0])
    assert not builder.try_apply(spec_for("log"), [0])  # outside the domain
    assert not builder.try_apply(spec_for("relu"), [1])  # on the kink
    assert not builder.try_apply(spec_for("/"), [0, 1])  # a zero denominator
    assert not builder.try_apply(spec_for("exp"), [2])  # e^800 overflows
    assert not builder.try_apply(spec_for("*"), [Const(2.0), Const(3.0)])  # nothing to differentiate
    assert builder.steps == []


def test_expression_called_with_the_wrong_number_of_arguments():
    e = _formula(2, ("*", 0, 1))
    with pytest.raises(TypeError, match=r"'x0 \* x1' takes 2 argument"):
        e(1.0)


# -- shrinking ------------------------------------------------------------------------------------------


def test_shrinks_to_the_smallest_formula_with_a_given_op():
    e = find(
        expressions(), lambda e: "log" in e.op_names, settings=settings(database=None, max_examples=1000)
    )
    assert e.n_ops <= 2  # almost always log(x0)
    assert "log(" in e.formula


def test_inputs_shrink_towards_one_and_ops_to_one():
    e = find(expressions(n_inputs=1), lambda e: True, settings=settings(database=None))
    assert e.inputs == (1.0,)
    assert e.formula == "x0 + 2.0"  # the first op, on the input and the first constant


# -- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"max_ops": 0}, ValueError, "max_ops"),
        ({"n_inputs": 0}, ValueError, "n_inputs"),
        ({"n_inputs": "2"}, TypeError, "n_inputs"),
        ({"builtins": False}, ValueError, "no ops to draw from"),
        ({"builtins": ["tanx"]}, ValueError, "no built-in op named 'tanx'"),
        ({"builtins": "tanh"}, TypeError, "builtins"),
        ({"ops": [math.sin]}, TypeError, "expected an op made by autograd.op"),
        ({"ops": [(asin, "(-1, 1)")]}, TypeError, "op 'asin': a domain is"),
        ({"ops": [(asin, (1, 1))]}, ValueError, "op 'asin'.*lo < hi"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        expressions(**kwargs)


def test_values_of_a_variadic_op_is_refused():
    with pytest.raises(ValueError, match="sum takes any number of operands"):
        values("sum")


# -- every op given is tested: it appears in every formula, or is refused with the reason -------------

softplus = op("softplus", lambda x: math.log1p(math.exp(x)), lambda x: autograd.sigmoid(x))


@FEW
@given(expressions(ops=[(asin, (-1, 1)), softplus]))
def test_each_given_op_appears_in_every_formula(e):
    assert "asin" in e.op_names and "softplus" in e.op_names
    assert e(*[Value(x) for x in e.inputs]).data == e(*e.inputs)


shifted_log = op("shifted_log", lambda x: math.log(x - 4.5), lambda x: 1 / (x - 4.5))


@FEW
@given(expressions(ops=[(shifted_log, (5, 10))], max_ops=3))
def test_an_op_whose_domain_is_far_from_the_usual_inputs_still_appears(e):
    assert "shifted_log" in e.op_names  # on an input drawn from its domain when nothing else fits
    for node in iter_nodes(e(*[Value(x) for x in e.inputs])):
        if node.op == "shifted_log":
            assert 5 + GAP <= node.parents[0].data <= 10 - GAP


def test_a_wrong_derivative_far_from_the_usual_inputs_is_caught():
    wrong = op("shifted_log", lambda x: math.log(x - 4.5), lambda x: 1 / (x - 4.0))  # should be 4.5
    e = find(
        expressions(ops=[(wrong, (5, 10))], builtins=False),
        lambda e: not gradcheck(e, e.inputs, raise_exception=False),
        settings=settings(database=None, max_examples=50),
    )
    assert e.op_names == ("shifted_log",)


@FEW
@given(expressions())
def test_every_formula_has_an_op(e):
    assert e.n_ops >= 1


@pytest.mark.parametrize(
    ("entry", "pattern"),
    [
        ((asin, (2, 5)), r"op 'asin' cannot take part.*its domain: \[2, 5\].*256 it raises ValueError"),
        (
            op("far", lambda x: x + 1000.0, lambda x: 1.0),
            r"op 'far' cannot take part.*none is safe: at 256 its value is beyond the bound \|v\| ≤ 100",
        ),
        (
            op("steep", lambda x: 1000.0 * x, lambda x: 1000.0),
            r"op 'steep'.*its derivative is beyond the bound Σ\|∂v/∂x\| ≤ 100 \(e\.g\. 1000 at",
        ),
        ((ratio, lambda x, y: False), r"op 'ratio'.*the domain's predicate is false"),
        (
            op("broken", lambda x: x, lambda x: 1 / 0),
            r"op 'broken'.*raises ZeroDivisionError \(e\.g\. division by zero at x0=",
        ),
    ],
    ids=["domain typo", "too large", "too steep", "predicate", "raises"],
)
def test_an_op_that_is_safe_nowhere_is_refused_naming_it_and_why(entry, pattern):
    with pytest.raises(ValueError, match=pattern):
        expressions(ops=[entry])
