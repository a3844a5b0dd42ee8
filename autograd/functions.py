"""gradwalk's functions, one per op of the table: a float for floats, a recorded node for Values.

`autograd.exp(x)`, `autograd.atan2(y, x)`, `autograd.pow(x, 2)` … are made here from the records,
and are also what the names in the table's derivative texts mean when the rules are evaluated on
Values (for higher orders), so `1 - ans**2` on a tanh node builds a differentiable graph.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import floats, ops
from autograd.methods import dot, sum_
from autograd.op import RULE_NAMESPACE, Op, apply
from autograd.value import Value, as_float


def _function(op: Op) -> Callable[..., Value | float]:
    """The function `autograd.<op.name>`: op's fast method for a Value, its forward for numbers."""
    forward, name, method = op.forward, op.name, op.method
    # The method is looked up at each call, so a rebound method (methods.bind) is followed.
    if op.arity == 1:

        def f(x: Value | float) -> Value | float:
            if type(x) is Value:
                return getattr(x, method)()
            return forward(as_float(x, name))

    else:

        def f(x: Value | float, y: Value | float) -> Value | float:  # type: ignore[misc]
            if type(x) is Value and method is not None:
                return getattr(x, method)(y)
            if type(y) is Value:
                return apply(op, (x, y))
            return forward(as_float(x, f"{name}: argument 0"), as_float(y, f"{name}: argument 1"))

    forward_text, derivative_texts = op.math
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"{forward_text}; ∂ = {', '.join(derivative_texts)} (the op table's rule for {name!r})."
    return f


#: `autograd.<name>` for every fixed-arity op of the table.
FUNCTIONS: dict[str, Callable[..., Value | float]] = {op.name: _function(op) for op in ops.BUILTIN_OPS}

RULE_NAMESPACE.update(
    {
        name: getattr(floats, name)
        for name in ("step", "sign", "floor", "div", "dpow_dx", "logpos", "ones", "dot_grads")
    },
    **FUNCTIONS,
    LN2=floats.NAMESPACE["LN2"],
    LN10=floats.NAMESPACE["LN10"],
)

#: numpy's (and so HIPS autograd's) names for some of the same functions.
ALIASES = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
    "arctanh": "atanh", "arctan2": "atan2", "absolute": "abs", "negative": "neg", "power": "pow",
    "remainder": "mod", "add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
    "true_divide": "div",
}  # fmt: skip
FUNCTIONS.update({alias: FUNCTIONS[name] for alias, name in ALIASES.items() if alias not in FUNCTIONS})

globals().update(FUNCTIONS)

__all__ = ["FUNCTIONS", "dot", "sum_", *FUNCTIONS]
