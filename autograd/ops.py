"""The derivative rules: one line per op, written as the math.

Each derivative is a function of the op's inputs, written with operators and the gradwalk
functions defined at the bottom of this file. On floats it gives the local gradient that the
ordinary backward pass records; on Values it gives a graph, which is how `create_graph=True`,
`grad(grad(f))` and `hessian` get higher derivatives from these same rules.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from autograd.nodes import apply_variadic, binary_method, unary_method
from autograd.op import Op, VariadicOp
from autograd.value import Value, _as_float

inf, nan = math.inf, math.nan

#: A float or a Value: derivative rules are written once and evaluated on either.
N = TypeVar("N", float, Value)


# -- forwards with the edge-case policy -----------------------------------------------------------


def _div(x: float, y: float) -> float:
    """x / y; ZeroDivisionError for y = 0."""
    if y == 0.0:
        raise ZeroDivisionError(f"/: division by zero ({x!r} / {y!r})")
    return x / y


def _pow(x: float, y: float) -> float:
    """x ** y; ZeroDivisionError for 0 ** negative, ValueError for negative ** non-integer."""
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(f"**: 0 cannot be raised to a negative power ({x!r} ** {y!r})")
    if x < 0.0 and not y.is_integer():
        raise ValueError(f"**: negative base {x!r} with non-integer exponent {y!r} has no real value")
    try:
        return x**y
    except OverflowError:
        raise OverflowError(f"**: {x!r} ** {y!r} overflows a float") from None


def _exp(x: float) -> float:
    """e^x; OverflowError above x ≈ 709.78."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: e ** {x!r} overflows a float (x must be ≤ 709.78)") from None


def _log(x: float) -> float:
    """ln x; ValueError for x ≤ 0."""
    if x <= 0.0:
        raise ValueError(f"log: operand must be > 0, got {x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    """√x; ValueError for x < 0, and sqrt'(0) = inf."""
    if x < 0.0:
        raise ValueError(f"sqrt: operand must be ≥ 0, got {x!r}")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x), written so that e^… never overflows: stable for any float."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _abs(x: float) -> float:
    """|x|, with abs'(0) = 0 (the documented choice at the kink)."""
    return abs(x)


def _tanh(x: float) -> float:
    """tanh x, stable for any float: it tends to ±1 and never overflows."""
    return math.tanh(x)


def _relu(x: float) -> float:
    """max(0, x), with relu'(0) = 0 (the documented choice at the kink)."""
    return x if x > 0.0 else 0.0


def _sin(x: float) -> float:
    """sin x; ValueError for ±inf."""
    if math.isinf(x):
        raise ValueError(f"sin: operand must be finite, got {x!r}")
    return math.sin(x)


def _cos(x: float) -> float:
    """cos x; ValueError for ±inf."""
    if math.isinf(x):
        raise ValueError(f"cos: operand must be finite, got {x!r}")
    return math.cos(x)


def _sum_forward(xs: Sequence[float]) -> float:
    return sum(xs, 0.0)


def _dot_forward(operands: Sequence[float]) -> float:
    """c + x0·y0 + … + xn−1·yn−1, for operands x0…xn−1, y0…yn−1 and an optional start c."""
    n = len(operands) // 2
    total = sum(map(operator.mul, operands, operands[n : 2 * n]), 0.0)  # map stops after the xs
    return total + operands[-1] if len(operands) % 2 else total


def _dot_grads(operands: Sequence[N]) -> tuple[N | float, ...]:
    """∂/∂xi = yi, ∂/∂yi = xi and ∂/∂c = 1, in the order of the operands."""
    n = len(operands) // 2
    if len(operands) % 2:
        return (*operands[n : 2 * n], *operands[:n], 1.0)
    return (*operands[n : 2 * n], *operands[:n])


# fmt: off
#  name                  forward         derivative(s): ∂out/∂x (, ∂out/∂y)
ADD     = Op("+",       operator.add,   1.0,                         1.0)
SUB     = Op("-",       operator.sub,   1.0,                         -1.0)
MUL     = Op("*",       operator.mul,   lambda x, y: y,              lambda x, y: x)
DIV     = Op("/",       _div,           lambda x, y: 1 / y,          lambda x, y: -x / (y * y))
POW     = Op("**",      _pow,           lambda x, y: _dpow_dx(x, y), lambda x, y: _dpow_dy(x, y))
NEG     = Op("neg",     operator.neg,   -1.0)
ABS     = Op("abs",     _abs,           lambda x: _sign(x))
EXP     = Op("exp",     _exp,           lambda x: exp(x))
LOG     = Op("log",     _log,           lambda x: 1 / x)
TANH    = Op("tanh",    _tanh,          lambda x: 1 - tanh(x) ** 2)
SIGMOID = Op("sigmoid", _sigmoid,       lambda x: sigmoid(x) * (1 - sigmoid(x)))
RELU    = Op("relu",    _relu,          lambda x: 1.0 if x > 0 else 0.0)
SIN     = Op("sin",     _sin,           lambda x: cos(x))
COS     = Op("cos",     _cos,           lambda x: -sin(x))
SQRT    = Op("sqrt",    _sqrt,          lambda x: 0.5 / sqrt(x) if x > 0 else inf)

#  name                          forward        all n derivatives at once
SUM     = VariadicOp("sum",     _sum_forward,  lambda xs: (1.0,) * len(xs))
DOT     = VariadicOp("dot",     _dot_forward,  _dot_grads)
# fmt: on

# Each rule becomes Value's operator or method; `2 - x` uses SUB's swapped twin (see Op.flipped).
_OPERATORS = {"__add__": ADD, "__sub__": SUB, "__mul__": MUL, "__truediv__": DIV, "__pow__": POW}
_METHODS = {
    "__neg__": NEG,
    "__abs__": ABS,
    "exp": EXP,
    "log": LOG,
    "tanh": TANH,
    "sigmoid": SIGMOID,
    "relu": RELU,
    "sin": SIN,
    "cos": COS,
    "sqrt": SQRT,
}


def bind_operators() -> None:
    """Make each rule Value's operator or method (run at import; again after changing a rule)."""
    for name, op in _OPERATORS.items():
        _bind(name, binary_method(op), op)
        _bind(f"__r{name[2:]}", binary_method(op.flipped), op)
    for name, op in _METHODS.items():
        _bind(name, unary_method(op), op)


def _bind(name: str, method: Callable[..., Value], op: Op) -> None:
    method.__name__, method.__qualname__ = name, f"Value.{name}"
    method.__doc__ = f"The op {op.name!r}: {(op.forward.__doc__ or '').strip()}"
    setattr(Value, name, method)


bind_operators()


#: The fixed-arity built-in ops, for tests and tools that go through them all.
BUILTIN_OPS: tuple[Op, ...] = (
    ADD, SUB, MUL, DIV, POW, NEG, ABS, EXP, LOG, TANH, SIGMOID, RELU, SIN, COS, SQRT,
)  # fmt: skip


# -- derivative helpers with the documented choices at kinks and singular points -----------------


def _data(x: float | Value) -> float:
    """The number behind x: comparisons with == must not use Value's identity equality."""
    return x.data if type(x) is Value else x


def _sign(x: N) -> float:
    """abs'(x): 1 for x > 0, -1 for x < 0, and 0 at the kink x = 0 (the documented choice)."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _dpow_dx(x: N, y: N) -> N | float:
    """∂(x^y)/∂x = y·x^(y−1); at x = 0 it is 0 for y = 0 or y > 1, 1 for y = 1, and inf for 0 < y < 1."""
    if _data(x) == 0.0 and _data(y) < 1:
        return 0.0 if _data(y) == 0.0 else inf
    return y * x ** (y - 1)


def _dpow_dy(x: N, y: N) -> N | float:
    """∂(x^y)/∂y = x^y·ln x; 0 at x = 0, and nan for x < 0 where x^y is real only at integer y."""
    if x > 0:
        return x**y * log(x)
    return 0.0 if _data(x) == 0.0 else nan


# -- gradwalk functions: a float for a float, a recorded node for a Value ---------------------------


def exp(x: N) -> N:
    """e^x; d/dx = e^x."""
    return x.exp() if type(x) is Value else EXP.forward(_as_float(x, "exp"))


def log(x: N) -> N:
    """ln x; d/dx = 1/x."""
    return x.log() if type(x) is Value else LOG.forward(_as_float(x, "log"))


def tanh(x: N) -> N:
    """tanh x; d/dx = 1 − tanh²x."""
    return x.tanh() if type(x) is Value else TANH.forward(_as_float(x, "tanh"))


def sigmoid(x: N) -> N:
    """σ(x) = 1/(1+e^−x); d/dx = σ(x)(1 − σ(x))."""
    return x.sigmoid() if type(x) is Value else SIGMOID.forward(_as_float(x, "sigmoid"))


def relu(x: N) -> N:
    """max(0, x); d/dx = 1 for x > 0, else 0."""
    return x.relu() if type(x) is Value else RELU.forward(_as_float(x, "relu"))


def sin(x: N) -> N:
    """sin x; d/dx = cos x."""
    return x.sin() if type(x) is Value else SIN.forward(_as_float(x, "sin"))


def cos(x: N) -> N:
    """cos x; d/dx = −sin x."""
    return x.cos() if type(x) is Value else COS.forward(_as_float(x, "cos"))


def sqrt(x: N) -> N:
    """√x; d/dx = 1/(2√x)."""
    return x.sqrt() if type(x) is Value else SQRT.forward(_as_float(x, "sqrt"))


def sum_(values: Iterable[Value | float]) -> Value:
    """x0 + x1 + … + xn−1 as one node with n parents; ∂/∂xi = 1."""
    return apply_variadic(SUM, values)


def dot(xs: Iterable[Value | float], ys: Iterable[Value | float], start: Value | float = 0.0) -> Value:
    """start + x0·y0 + … + xn−1·yn−1 as one node; ∂/∂xi = yi, ∂/∂yi = xi, ∂/∂start = 1.

    With `start`, a neuron's whole weighted sum w·x + b is one node: `dot(w, x, b)`.
    """
    if type(xs) not in _SEQUENCES:
        xs = tuple(xs)
    if type(ys) not in _SEQUENCES:
        ys = tuple(ys)
    if len(xs) != len(ys):
        raise ValueError(f"dot: xs and ys differ in length ({len(xs)} vs {len(ys)})")
    return apply_variadic(DOT, (*xs, *ys, start) if type(start) is Value or start != 0 else (*xs, *ys))


_SEQUENCES = (list, tuple)
