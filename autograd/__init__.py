"""gradwalk's engine: scalar reverse-mode automatic differentiation.

Every number is a `Value` node that records its parents and the local derivative of the op that
made it; `backward()` applies the chain rule in reverse topological order.

The layers, each importing only those above it in this list: `value` (the node), `grad_mode`,
`floats` (the math words on floats), `op` (the record), `ops` (the table), `methods` (Value's
operators, generated from the table), `functions` (`autograd.exp`, …), `graph` (the walk),
`backprop` (the chain rule, `backward`), `functional` (`grad`, `hessian`); then the tools on top:
`testing`, `draw`, `stepper`.
"""

from autograd import _coexist  # noqa: F401 (warns when HIPS autograd shares this environment)

from autograd.value import Value  # isort: skip  (the bottom layer)
from autograd import functions as _functions  # noqa: F401, I001  (binds Value's operators, from the table)
from autograd import backprop as _backprop  # noqa: F401  (binds Value.backward)
from autograd.compiled import compile  # the builtin of the same name stays reachable as builtins.compile
from autograd.draw import Graph, draw  # the function shadows the subpackage's name, on purpose
from autograd.functional import elementwise_grad, grad, hessian, jacobian, value_and_grad
from autograd.functions import FUNCTIONS as _FUNCTIONS
from autograd.functions import dot
from autograd.functions import sum_ as sum
from autograd.grad_mode import enable_grad, no_grad
from autograd.op import Op, op
from autograd.stepper import Stepper

globals().update(_FUNCTIONS)  # autograd.exp, autograd.atan2, autograd.pow, … one per op of the table

__all__ = [
    "Graph",
    "Op",
    "Stepper",
    "Value",
    "compile",
    "dot",
    "draw",
    "elementwise_grad",
    "enable_grad",
    "grad",
    "hessian",
    "jacobian",
    "no_grad",
    "op",
    "sum",
    "value_and_grad",
    *_FUNCTIONS,
]
__version__ = "0.2.0"
