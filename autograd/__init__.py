"""gradwalk's engine: scalar reverse-mode automatic differentiation.

Every number is a `Value` node that records its parents and the local derivative of the op that
made it; `backward()` applies the chain rule in reverse topological order.
"""

from autograd import _coexist  # noqa: F401 (warns when HIPS autograd shares this environment)
from autograd.draw import Graph, draw  # the function shadows the subpackage's name, on purpose
from autograd.functional import grad, hessian, value_and_grad
from autograd.grad_mode import enable_grad, no_grad
from autograd.op import Op, op
from autograd.ops import cos, dot, exp, log, relu, sigmoid, sin, sqrt, tanh
from autograd.ops import sum_ as sum
from autograd.stepper import Stepper
from autograd.value import Value

__all__ = [
    "Graph",
    "Op",
    "Stepper",
    "Value",
    "cos",
    "dot",
    "draw",
    "enable_grad",
    "exp",
    "grad",
    "hessian",
    "log",
    "no_grad",
    "op",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "sum",
    "tanh",
    "value_and_grad",
]
__version__ = "0.1.0"
