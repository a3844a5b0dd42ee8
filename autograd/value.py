"""`Value`: a scalar node of the computation graph, and the layout of what a node records.

A node records the op that made it and, for each parent, the local derivative ∂node/∂parent as
a plain float. It holds no closures, so a graph has no reference cycles and is freed by reference
counting alone.

Most nodes have one or two parents, so those live in slots (`_p0, _g0, _p1, _g1`) rather than in
a tuple: a node is then a single object, which halves the work of Python's cyclic garbage
collector and the memory per op. A node with more parents (sum, dot) keeps tuples of them in
`_p0` and `_g0`, with `_p1` set to `MANY`.
"""

from __future__ import annotations

import numbers
import reprlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

from autograd.op import Op, VariadicOp

AnyOp = Op | VariadicOp

#: Set while derivatives are evaluated on Values (create_graph): `float(value)` would then
#: silently cut the graph, so it raises instead.
_cutting_floats_forbidden: ContextVar[str] = ContextVar("gradwalk_no_float", default="")


class Value:
    """A scalar with a gradient: `Value(data, label="")`.

    `data` is stored as a float. `grad` starts at 0.0 and is filled by `backward()`. `label`
    names the value in drawings and explanations.
    """

    __slots__ = ("data", "grad", "label", "_op", "_const", "_p0", "_g0", "_p1", "_g1")

    data: float
    grad: float | Value
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"Value(label): expected str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self._op = None
        self._const = None
        self._p0 = self._g0 = self._p1 = self._g1 = None

    # -- what the node records ---------------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from (empty for a leaf)."""
        p1 = self._p1
        if p1 is None:
            return () if self._p0 is None else (self._p0,)
        return self._p0 if p1 is MANY else (self._p0, p1)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂parent for each parent, in the order of `parents`."""
        p1 = self._p1
        if p1 is None:
            return () if self._p0 is None else (self._g0,)
        return self._g0 if p1 is MANY else (self._g0, self._g1)

    @property
    def op(self) -> str:
        """The short name of the op that made this node, '' for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def is_leaf(self) -> bool:
        """True for a Value with no parents: made by the user, or under no_grad, or detached."""
        return self._p0 is None

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        return Value(self.data, self.label)

    # -- backward ------------------------------------------------------------------------------

    def backward(self, grad: float = 1.0, *, create_graph: bool = False) -> None:
        """Fill `.grad` of every node this one depends on with ∂self/∂node, by the chain rule.

        Leaf grads accumulate across calls (as in PyTorch) until zeroed, so gradients can be
        summed over mini-batches; interior grads are recomputed by each call, never doubled.
        With `create_graph=True` every grad becomes a Value that can be differentiated again.
        """
        from autograd.backprop import backward

        backward(self, grad, create_graph=create_graph)

    # -- arithmetic: each operator and method is bound to its rule by autograd/ops.py ----------
    # (`+ - * / **` and their reflected forms, unary `-`, `abs()`, and the methods below; a
    # number on either side is a constant. The declarations here are for readers and type checkers.)

    if TYPE_CHECKING:

        def __add__(self, other: Value | float) -> Value: ...
        def __radd__(self, other: float) -> Value: ...
        def __sub__(self, other: Value | float) -> Value: ...
        def __rsub__(self, other: float) -> Value: ...
        def __mul__(self, other: Value | float) -> Value: ...
        def __rmul__(self, other: float) -> Value: ...
        def __truediv__(self, other: Value | float) -> Value: ...
        def __rtruediv__(self, other: float) -> Value: ...
        def __pow__(self, other: Value | float) -> Value: ...
        def __rpow__(self, other: float) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def sqrt(self) -> Value: ...

    # -- comparisons look at data; == and hash are inherited from object, so by identity --------

    def __lt__(self, other: Value | float) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Value | float) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Value | float) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= _data_of(other)

    def __float__(self) -> float:
        op_name = _cutting_floats_forbidden.get()
        if op_name:
            raise TypeError(
                f"op {op_name!r}: a derivative turned a Value into a float (e.g. math.cos(x)), "
                "which cuts the graph, so it cannot be differentiated again; write the derivative "
                "with gradwalk functions (autograd.cos, autograd.exp, …) for higher orders"
            )
        return self.data

    def __format__(self, spec: str) -> str:
        """`f"{v:.4f}"` formats the data; a bare `f"{v}"` gives the repr."""
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


# -- making nodes ------------------------------------------------------------------------------


def _as_float(x: object, where: str) -> float:
    """x as a float, or TypeError naming its type (bool and non-real types are refused)."""
    t = type(x)
    if t is float:
        return x  # type: ignore[return-value]
    if t is int or (t is not bool and isinstance(x, numbers.Real)):
        return float(x)  # type: ignore[arg-type]
    raise TypeError(f"{where}: expected a real number (int or float), got {t.__name__} {reprlib.repr(x)}")


def _data_of(x: object) -> float:
    return x.data if type(x) is Value else _as_float(x, "comparison")  # type: ignore[union-attr]


#: Marks a node with more than two parents: its _p0 and _g0 are tuples.
MANY = object()


# The rule table builds on Value and binds Value's operators to its rules, so it comes last.
from autograd import ops  # noqa: E402, F401
