"""The reference engine of the GPT bench: the design of microgpt's ~40-line scalar `Value`.

Each op returns `Value(out, children, local_grads)`, the forward and its local derivatives side
by side; `backward()` sorts the graph topologically (recursively, with a visited set) and then
runs one loop, `child.grad += local_grad * v.grad`. Plain numbers are wrapped in a `Value`.

It is kept as that design has it, weak spots included (a recursive sort, no domain checks), so
that gradwalk is measured against the plain form of the same idea: do not make it faster here.
"""

from __future__ import annotations

import math


class Value:
    """A scalar with its gradient, the nodes it was computed from and ∂self/∂child for each."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):  # d(a+b)/da = d(a+b)/db = 1
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):  # d(ab)/da = b, d(ab)/db = a
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent):  # d(a^n)/da = n·a^(n-1), for a number n
        return Value(self.data**exponent, (self,), (exponent * self.data ** (exponent - 1),))

    def log(self):  # d log a / da = 1/a
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):  # d e^a / da = e^a
        return Value(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):  # d relu(a)/da = 1 where a > 0, else 0
        return Value(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def backward(self):
        """grad of every node = ∂self/∂node, by the chain rule in reverse topological order."""
        topo = []
        visited = set()

        def build_topo(v):  # recursive: one Python frame per node of depth
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad
