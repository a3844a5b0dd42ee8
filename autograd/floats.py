"""The words the op table's math is written in, on floats, with the edge-case policy.

The table (autograd/ops.py) writes each forward and derivative as text such as `tanh(x)` or
`1 - ans**2`. On floats those names mean the functions below (most are `math`'s own, which raise
ValueError outside their domain and OverflowError when the result is too large; the engine
re-raises those naming the op and the operand). The same text is evaluated on Values for higher
derivatives, with the names meaning gradwalk's functions (autograd/functions.py).

The helpers at the bottom hold the documented choices at kinks and singular points, in one place.
"""

from __future__ import annotations

import math
from operator import mul

inf, nan = math.inf, math.nan


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), written so that e^… never overflows: stable for any float."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def relu(x: float) -> float:
    """max(0, x); nan stays nan (as in PyTorch)."""
    return 0.0 if x <= 0.0 else x


def pow(x: float, y: float) -> float:
    """x ** y; ZeroDivisionError for 0 ** negative, ValueError for negative ** non-integer."""
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(f"**: 0 cannot be raised to a negative power ({x!r} ** {y!r})")
    if x < 0.0 and not y.is_integer():
        raise ValueError(f"**: negative base {x!r} with non-integer exponent {y!r} has no real value")
    try:
        return x**y
    except OverflowError:
        raise OverflowError(f"**: {x!r} ** {y!r} overflows a float") from None


def exp2(x: float) -> float:
    """2^x (math.exp2 is Python ≥ 3.11 only)."""
    return 2.0**x


def total(xs: tuple[float, ...]) -> float:
    """x0 + x1 + … + xn−1, added left to right from 0.0."""
    return sum(xs, 0.0)


def dot(operands: tuple[float, ...]) -> float:
    """c + x0·y0 + … + xn−1·yn−1, for operands x0…xn−1, y0…yn−1 and an optional start c."""
    n = len(operands) // 2
    products = sum(map(mul, operands, operands[n : 2 * n]), 0.0)  # map stops after the xs
    return products + operands[-1] if len(operands) % 2 else products


# -- the documented choices at kinks and singular points (they take floats or Values) ----------------


def _data(x: object) -> float:
    """The number behind x; `==` must not use a Value's identity equality."""
    return getattr(x, "data", x)  # type: ignore[return-value]


def step(x: object) -> float:
    """relu′(x): 1 for x > 0, else 0 (0 at the kink x = 0, the documented choice, and for nan)."""
    return 1.0 if getattr(x, "data", x) > 0.0 else 0.0  # _data(x), inlined: relu's hot path


def sign(x: object) -> float:
    """abs′(x): 1 for x > 0, −1 for x < 0, 0 at the kink x = 0 (the documented choice); nan for nan."""
    d = _data(x)
    return 1.0 if d > 0.0 else -1.0 if d < 0.0 else 0.0 if d == 0.0 else nan


def floor(x: object) -> float:
    """⌊x⌋ as a float (a step function: its derivative is 0 wherever it is defined)."""
    d = _data(x)
    return float(math.floor(d)) if math.isfinite(d) else d


def div(a: object, b: object) -> object:
    """a / b, but IEEE's ±inf (or nan for 0/0) where b = 0: an infinite slope at a domain's edge
    (sqrt′(0), asin′(±1)) is a value, not an error."""
    if _data(b) == 0.0:
        a = _data(a)
        return nan if a == 0.0 or a != a else math.copysign(inf, a) * math.copysign(1.0, _data(b))
    return a / b  # type: ignore[operator]


def ones(xs: tuple) -> tuple[float, ...]:
    """sum′: ∂/∂xi = 1 for every operand."""
    return (1.0,) * len(xs)


def dot_grads(operands: tuple) -> tuple:
    """dot′: ∂/∂xi = yi, ∂/∂yi = xi and ∂/∂c = 1, in the order of the operands."""
    n = len(operands) // 2
    if len(operands) % 2:
        return (*operands[n : 2 * n], *operands[:n], 1.0)
    return (*operands[n : 2 * n], *operands[:n])


def dpow_dx(x: object, y: object, ans: object) -> object:
    """∂(x^y)/∂x = y·x^(y−1), written y·ans/x so that it cannot overflow where ans does not;
    at x = 0 it is y·x^(y−1) for y ≥ 1 (1 for y = 1, else 0), 0 for y = 0, and inf for 0 < y < 1."""
    xd, yd = _data(x), _data(y)
    if xd == 0.0:
        return 0.0 if yd == 0.0 else y * x ** (y - 1) if yd >= 1.0 else inf  # type: ignore[operator]
    return y * ans / x  # type: ignore[operator]


def logpos(x: object) -> object:
    """ln x for x > 0; 0 at x = 0 and nan for x < 0, which make ∂(x^y)/∂y = ans·logpos(x) the
    documented 0 at x = 0 (where ans = 0) and nan for x < 0 (real only at integer y)."""
    d = _data(x)
    if d > 0.0:
        return math.log(d) if isinstance(x, float) else x.log()  # type: ignore[attr-defined]
    return 0.0 if d == 0.0 else nan


#: The names the table takes from `math` as they are.
_FROM_MATH = "exp log tanh sin cos sqrt tan sinh cosh asin acos atan asinh acosh atanh log1p expm1 log2 log10"

#: What each name in the table's math means on floats.
NAMESPACE: dict[str, object] = {
    **{name: getattr(math, name) for name in _FROM_MATH.split()},
    "atan2": math.atan2,
    "hypot": math.hypot,
    "abs": abs,
    "sigmoid": sigmoid,
    "relu": relu,
    "pow": pow,
    "exp2": exp2,
    "total": total,
    "dot": dot,
    "step": step,
    "sign": sign,
    "floor": floor,
    "div": div,
    "ones": ones,
    "dot_grads": dot_grads,
    "dpow_dx": dpow_dx,
    "logpos": logpos,
    "LN2": math.log(2.0),
    "LN10": math.log(10.0),
}
