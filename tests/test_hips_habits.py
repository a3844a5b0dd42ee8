"""What HIPS autograd users bring: `grad(f, argnum=…)`, `jacobian`, `elementwise_grad`, numpy's
names for the functions, and `autograd.test_util.check_grads`."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import elementwise_grad, grad, jacobian, value_and_grad
from autograd.test_util import check_grads
from autograd.testing import GradcheckError


def test_argnum_is_hips_autograds_spelling_of_argnums():
    f = lambda x, y: x * y + autograd.sin(x)
    assert grad(f, argnum=1)(1.0, 2.0) == grad(f, argnums=1)(1.0, 2.0) == 1.0
    assert value_and_grad(f, argnum=0)(1.0, 2.0) == (2.0 + math.sin(1.0), 2.0 + math.cos(1.0))
    assert elementwise_grad(autograd.tanh)(0.3) == pytest.approx(1 - math.tanh(0.3) ** 2)


def test_jacobian_of_a_function_with_several_outputs():
    f = lambda x, y: [x * y, autograd.exp(x), y**2]
    assert jacobian(f)(2.0, 3.0) == [[3.0, 2.0], [math.exp(2.0), 0.0], [0.0, 6.0]]
    assert jacobian(lambda x: x * x)(3.0) == [[6.0]]  # one output: one row
    second = jacobian(lambda x: [grad(lambda t: t**3)(x)])(2.0)  # nested: 6x
    assert second == [[12.0]]


@pytest.mark.parametrize(
    ("numpy_name", "name"),
    [("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"), ("arccosh", "acosh"),
     ("arctanh", "atanh"), ("arctan2", "atan2"), ("absolute", "abs"), ("negative", "neg"), ("power", "pow"),
     ("remainder", "mod"), ("multiply", "mul"), ("divide", "div"), ("subtract", "sub")],
)  # fmt: skip
def test_numpys_names_are_the_same_functions(numpy_name, name):
    assert getattr(autograd, numpy_name) is getattr(autograd, name)


def test_check_grads_passes_good_derivatives_and_names_a_bad_one():
    check_grads(lambda x, y: autograd.arctan2(x, y) * autograd.log1p(x * x))(0.3, 1.7)
    check_grads(autograd.tanh, modes=["rev"], order=1)(0.5)
    wrong = autograd.op("wrong", lambda x: x * x, lambda x: 3 * x)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        check_grads(wrong)(1.3)
    with pytest.raises(ValueError, match="modes"):
        check_grads(autograd.tanh, modes=["bwd"])
