"""The op table: every built-in op, one record each, its derivatives written as the math.

Each line gives an op's name, its forward and one derivative ∂out/∂operand per operand, over the
operands `x`, `y` and the op's output `ans` (so tanh′ = 1 − ans² does not recompute tanh). The
words are those of autograd/floats.py, whose helpers hold the choices at kinks (`step`, `sign`)
and singular points (`div`). The same text is the float rule of the ordinary backward pass, the
Value rule of higher orders, the compiled replay's code and the Stepper's explanation.

Adding an op is adding a line here (and its test): Value's method or operator, the function
`autograd.<name>`, the strategies' domains and the printer all follow from the record.
"""

from __future__ import annotations

import math

from autograd.domain import ANYWHERE, Domain
from autograd.op import Op

rule = Op.from_math
#: Where an op is not defined (or has a pole), for the strategies: x > 0, -1 < x < 1 …
POSITIVE, UNIT, KINK_AT_0 = Domain(lo=0.0), Domain(-1.0, 1.0), Domain(kinks=(0.0,))


def _mod_is_smooth(x: float, y: float) -> bool:
    """x % y jumps where x / y is an integer: keep away from those points (and from y = 0)."""
    q = x / y
    return abs(y) > 1e-2 and abs(q - round(q)) > 1e-2


def _atan2_is_smooth(x: float, y: float) -> bool:
    """atan2(x, y) jumps across x = 0 for y < 0, and is singular at the origin."""
    return abs(x) > 1e-2 or y > 1e-2


# fmt: off
#              name       forward         ∂out/∂x                      ∂out/∂y
ADD     = rule("add",     "x + y",        "1.0",                       "1.0",            symbol="+")
SUB     = rule("sub",     "x - y",        "1.0",                       "-1.0",           symbol="-")
MUL     = rule("mul",     "x * y",        "y",                         "x",              symbol="*")
DIV     = rule("div",     "x / y",        "1 / y",                     "-ans / y",       symbol="/",
               domains=(ANYWHERE, KINK_AT_0), needs="y ≠ 0")
POW     = rule("pow",     "pow(x, y)",    "dpow_dx(x, y, ans)",        "ans * logpos(x)", symbol="**",
               domains=(POSITIVE, ANYWHERE))
MOD     = rule("mod",     "x % y",        "1.0",                       "-floor(x / y)",  symbol="%",
               domains=(ANYWHERE, KINK_AT_0), needs="y ≠ 0", where=_mod_is_smooth)
ATAN2   = rule("atan2",   "atan2(x, y)",  "div(y, x * x + y * y)",     "div(-x, x * x + y * y)",
               where=_atan2_is_smooth)
HYPOT   = rule("hypot",   "hypot(x, y)",  "div(x, ans)",               "div(y, ans)",
               where=lambda x, y: math.hypot(x, y) > 1e-2)

NEG     = rule("neg",     "-x",           "-1.0")
ABS     = rule("abs",     "abs(x)",       "sign(x)",                   domains=KINK_AT_0)
SIGN    = rule("sign",    "sign(x)",      "0.0",                       domains=KINK_AT_0)
RELU    = rule("relu",    "relu(x)",      "step(x)",                   domains=KINK_AT_0)
EXP     = rule("exp",     "exp(x)",       "ans")
EXP2    = rule("exp2",    "exp2(x)",      "ans * LN2")
EXPM1   = rule("expm1",   "expm1(x)",     "ans + 1")
LOG     = rule("log",     "log(x)",       "1 / x",                     domains=POSITIVE, needs="x > 0")
LOG2    = rule("log2",    "log2(x)",      "1 / (x * LN2)",             domains=POSITIVE, needs="x > 0")
LOG10   = rule("log10",   "log10(x)",     "1 / (x * LN10)",            domains=POSITIVE, needs="x > 0")
LOG1P   = rule("log1p",   "log1p(x)",     "1 / (1 + x)",               domains=Domain(lo=-1.0), needs="x > -1")
SQRT    = rule("sqrt",    "sqrt(x)",      "div(0.5, ans)",             domains=POSITIVE, needs="x ≥ 0")
SIN     = rule("sin",     "sin(x)",       "cos(x)",                    needs="x finite")
COS     = rule("cos",     "cos(x)",       "-sin(x)",                   needs="x finite")
TAN     = rule("tan",     "tan(x)",       "1 + ans**2",                domains=Domain(-1.5, 1.5), needs="x finite")
ASIN    = rule("asin",    "asin(x)",      "div(1.0, sqrt(1 - x * x))",  domains=UNIT, needs="-1 ≤ x ≤ 1")
ACOS    = rule("acos",    "acos(x)",      "-div(1.0, sqrt(1 - x * x))", domains=UNIT, needs="-1 ≤ x ≤ 1")
ATAN    = rule("atan",    "atan(x)",      "1 / (1 + x * x)")
SINH    = rule("sinh",    "sinh(x)",      "cosh(x)")
COSH    = rule("cosh",    "cosh(x)",      "sinh(x)")
TANH    = rule("tanh",    "tanh(x)",      "1 - ans**2")
ASINH   = rule("asinh",   "asinh(x)",     "1 / sqrt(x * x + 1)")
ACOSH   = rule("acosh",   "acosh(x)",     "div(1.0, sqrt(x * x - 1))",  domains=Domain(lo=1.0), needs="x ≥ 1")
ATANH   = rule("atanh",   "atanh(x)",     "div(1.0, 1 - x * x)",        domains=UNIT, needs="-1 < x < 1")
SIGMOID = rule("sigmoid", "sigmoid(x)",   "ans * (1 - ans)")

#              name       forward         all n derivatives at once
SUM     = rule("sum",     "total(xs)",    "ones(xs)",                  variadic=True, method=None)
DOT     = rule("dot",     "dot(xs)",      "dot_grads(xs)",             variadic=True, method=None)
# fmt: on

#: Every built-in op, in the order above.
TABLE: tuple[Op, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Op))
#: The fixed-arity ones, for tools that go through them all.
BUILTIN_OPS: tuple[Op, ...] = tuple(o for o in TABLE if o.arity is not None)
