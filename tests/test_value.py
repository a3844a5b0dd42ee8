"""Value: construction, what a node records, and the small protocol (repr, float, comparisons)."""

import fractions
import math

import pytest

import autograd
from autograd import Value


def test_data_is_stored_as_float_and_grad_starts_at_zero():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v.label == "" and v.is_leaf
    assert Value(fractions.Fraction(1, 4)).data == 0.25


@pytest.mark.parametrize("bad", ["1.0", None, True, False, 1 + 2j, [1.0], (1.0,), {"a": 1}, object()])
def test_non_real_data_is_refused_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_label_must_be_text():
    assert Value(1.0, label="w1").label == "w1"
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


def test_a_node_records_parents_local_grads_and_op():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert c.parents == (a, b)
    assert c.local_grads == (b.data, a.data)
    assert c.op == "*" and not c.is_leaf
    assert a.op == "" and a.parents == () and a.local_grads == ()


def test_number_operands_are_not_parents():
    x = Value(2.0)
    for node in (x * 3, 3 * x, x - 1, 1 - x, x / 4, 4 / x, x**2, 2**x):
        assert node.parents == (x,)
        assert len(node.local_grads) == 1


def test_records_are_read_only_views():
    c = Value(1.0) + Value(2.0)
    with pytest.raises(AttributeError):
        c.parents = ()
    with pytest.raises(AttributeError):
        c.local_grads = ()
    with pytest.raises(AttributeError):
        c.anything_else = 1


def test_repr_follows_micrograd_and_adds_the_label():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2.0, label="a")) == "Value(data=2.0, grad=0.0, label='a')"


def test_format_spec_formats_the_data():
    v = Value(2.0 / 3.0, label="v")
    assert f"{v:.3f}" == "0.667" and f"{v:>8.2e}" == "6.67e-01"
    assert f"{v}" == repr(v)


def test_float_and_comparisons_use_data():
    a, b = Value(1.0), Value(2.0)
    assert float(b) == 2.0
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and b >= 2 and not (a > 1)
    assert sorted([b, a]) == [a, b]


def test_equality_and_hashing_are_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b
    assert len({a, b, a}) == 2
    assert {a: 1, b: 2}[b] == 2


def test_detach_gives_a_leaf_with_the_same_data():
    x = Value(2.0, label="x")
    y = (x * x).detach()
    assert y.is_leaf and y.data == 4.0
    (y * 3).backward()
    assert y.grad == 3.0 and x.grad == 0.0


def test_public_api_exports():
    for name in ("Value", "no_grad", "op", "sum", "dot", "exp", "log", "tanh", "sigmoid", "relu", "sin"):
        assert hasattr(autograd, name), name
    assert autograd.exp(0.0) == 1.0 and isinstance(autograd.exp(Value(0.0)), Value)
    assert math.isclose(autograd.tanh(0.5), math.tanh(0.5))
