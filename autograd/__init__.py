"""gradwalk's engine: scalar reverse-mode automatic differentiation.

Every number is a `Value` node that records its parents and the local derivative of the op that
made it; `backward()` applies the chain rule in reverse topological order.
"""

from autograd.grad_mode import enable_grad, no_grad
from autograd.op import Op, op
from autograd.ops import cos, dot, exp, log, relu, sigmoid, sin, sqrt, tanh
from autograd.ops import sum_ as sum
from autograd.value import Value

__all__ = [
    "Op",
    "Value",
    "cos",
    "dot",
    "enable_grad",
    "exp",
    "log",
    "no_grad",
    "op",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "sum",
    "tanh",
]
__version__ = "0.1.0"
