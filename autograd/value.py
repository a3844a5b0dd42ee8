"""`Value`: a scalar node of the computation graph, and how ops make new nodes.

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
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from itertools import compress

from autograd.grad_mode import is_recording
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
    def _edges(self) -> tuple:
        """The record as one flat tuple `(parent, local_grad, parent, local_grad, …)`."""
        return tuple(x for pair in zip(self.parents, self.local_grads) for x in pair)

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

    # -- arithmetic: each op is one line; the derivative rules live in autograd/ops.py --------

    def __add__(self, other: Value | float) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: float) -> Value:
        return _binary(ops.ADD.flipped, self, other)

    def __sub__(self, other: Value | float) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: float) -> Value:
        return _binary(ops.SUB.flipped, self, other)

    def __mul__(self, other: Value | float) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: float) -> Value:
        return _binary(ops.MUL.flipped, self, other)

    def __truediv__(self, other: Value | float) -> Value:
        """x / y; ZeroDivisionError for y = 0."""
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: float) -> Value:
        return _binary(ops.DIV.flipped, self, other)

    def __pow__(self, other: Value | float) -> Value:
        """x ** y, y a number or a Value (∂/∂y = xʸ·ln x); ValueError for a negative x with a
        non-integer y, ZeroDivisionError for 0 ** negative, OverflowError when too large."""
        return _binary(ops.POW, self, other)

    def __rpow__(self, other: float) -> Value:
        return _binary(ops.POW.flipped, self, other)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __abs__(self) -> Value:
        """|x|, with abs'(0) = 0."""
        return _unary(ops.ABS, self)

    def exp(self) -> Value:
        """e^x; OverflowError above x ≈ 709.78."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; ValueError for x ≤ 0."""
        return _unary(ops.LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent, stable for any finite x."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), stable for any finite x."""
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(0, x), with relu'(0) = 0."""
        return _unary(ops.RELU, self)

    def sin(self) -> Value:
        """Sine; ValueError for ±inf."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine; ValueError for ±inf."""
        return _unary(ops.COS, self)

    def sqrt(self) -> Value:
        """Square root; ValueError for x < 0, and sqrt'(0) = inf."""
        return _unary(ops.SQRT, self)

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


def _number(x: object) -> float | None:
    """x as a float when it is a plain real number, else None (the caller returns NotImplemented)."""
    t = type(x)
    if t is float:
        return x  # type: ignore[return-value]
    if t is int or (t is not bool and isinstance(x, numbers.Real)):
        return float(x)  # type: ignore[arg-type]
    return None


def _data_of(x: object) -> float:
    return x.data if type(x) is Value else _as_float(x, "comparison")  # type: ignore[union-attr]


#: Marks a node with more than two parents: its _p0 and _g0 are tuples.
MANY = object()


def _node(data: float, op: AnyOp | None, parents: tuple, grads: tuple, const: object) -> Value:
    """A new node with any number of parents (no validation: callers pass floats)."""
    node = Value.__new__(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node._const = const
    n = len(parents)
    if n == 0:
        node._p0 = node._g0 = node._p1 = node._g1 = None
    elif n == 1:
        node._p0, node._g0, node._p1, node._g1 = parents[0], grads[0], None, None
    elif n == 2:
        node._p0, node._p1 = parents
        node._g0, node._g1 = grads
    else:
        node._p0, node._g0, node._p1, node._g1 = parents, grads, MANY, None
    return node


def _leaf(data: float) -> Value:
    """A result computed under no_grad: a node with no history."""
    return _node(data, None, (), (), None)


def _unary(op: Op, x: Value) -> Value:
    """op(x) for a Value x; the hot path of every method such as `x.tanh()`."""
    xd = x.data
    node = Value.__new__(Value)
    node.data = op.forward(xd)
    node.grad = 0.0
    node.label = ""
    node._const = node._p1 = node._g1 = None
    if is_recording():
        node._op = op
        node._p0 = x
        node._g0 = op.derivatives[0](xd)
    else:
        node._op = node._p0 = node._g0 = None
    return node


def _binary(op: Op, x: Value, y: object) -> Value:
    """op(x, y) for a Value x and a Value or number y; the hot path of `+ - * / **`.

    Node creation is written out here rather than calling _node(), for speed.
    """
    xd = x.data
    if type(y) is Value:
        yd = y.data
        const = None
    else:
        yd = const = _number(y)
        if yd is None:
            return NotImplemented
    node = Value.__new__(Value)
    node.data = op.forward(xd, yd)
    node.grad = 0.0
    node.label = ""
    if not is_recording():
        node._op = node._const = node._p0 = node._g0 = node._p1 = node._g1 = None
    elif const is None:
        d0, d1 = op.derivatives
        node._op = op
        node._const = None
        node._p0 = x
        node._g0 = d0(xd, yd)
        node._p1 = y
        node._g1 = d1(xd, yd)
    else:
        node._op = op
        node._const = const
        node._p0 = x
        node._g0 = op.derivatives[0](xd, yd)
        node._p1 = node._g1 = None
    return node


def apply(op: Op, args: Sequence[object]) -> Value:
    """op(*args) for Values and numbers in any mix: the general (and checked) path of user ops."""
    values = [_as_operand(a, op, i) for i, a in enumerate(args)]
    if len(values) == 2 and type(values[0]) is not Value and type(values[1]) is Value:
        op, values = op.flipped, values[::-1]  # type: ignore[assignment]
    floats = [v.data if type(v) is Value else v for v in values]
    data = _checked_float(op.forward(*floats), op, "forward")
    positions = [i for i, v in enumerate(values) if type(v) is Value]
    if not positions or not is_recording():
        return _leaf(data)
    parents = tuple(values[i] for i in positions)
    grads = tuple(_checked_float(op.derivatives[i](*floats), op, f"derivative {i}") for i in positions)
    if len(positions) == len(values):
        const = None
    elif len(values) == 2:
        const = values[1]
    else:
        const = tuple(values)
    return _node(data, op, parents, grads, const)


def apply_variadic(op: VariadicOp, operands: Iterable[object]) -> Value:
    """op(*operands) for a variadic op such as sum or dot: one node with many parents.

    The hot path of a neuron's weighted sum, so when every operand is a Value their types
    are checked and their data read in one list comprehension.
    """
    values = operands if type(operands) is tuple else tuple(operands)
    floats = [v.data for v in values if type(v) is Value]
    if len(floats) == len(values):  # all Values: the common case, checked and read in one pass
        data = op.forward(*floats)
        if not is_recording():
            return _leaf(data)
        return _node(data, op, values, op.grads(*floats), None)
    is_value = [type(v) is Value for v in values]
    floats = [v.data if b else v for v, b in zip(values, is_value)]
    if set(map(type, floats)) != _JUST_FLOATS:  # ints or other numbers: converted once, or refused
        floats = [
            x if type(x) is float else _as_float(x, f"{op.name}: operand {i}") for i, x in enumerate(floats)
        ]
        values = tuple(v if b else x for v, x, b in zip(values, floats, is_value))
    data = op.forward(*floats)
    if not is_recording() or True not in is_value:
        return _leaf(data)
    parents = tuple(compress(values, is_value))
    grads = tuple(compress(op.grads(*floats), is_value))
    return _node(data, op, parents, grads, values)  # `_const`: the operands, numbers included


_JUST_FLOATS = {float}


def operands(node: Value) -> tuple[object, ...]:
    """The arguments node's op was applied to, in order: Values, and numbers for constants."""
    const = node._const
    parents = node.parents
    if const is None:
        return parents
    if type(const) is tuple:
        return const
    return (*parents, const)


def _as_operand(x: object, op: Op, i: int) -> object:
    if type(x) is Value:
        return x
    c = _number(x)
    if c is None:
        raise TypeError(
            f"op {op.name!r}: argument {i} must be a Value or a real number, got {type(x).__name__}"
        )
    return c


def _checked_float(x: object, op: AnyOp, what: str) -> float:
    """The result of a user op's function as a float, or TypeError naming the op."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if type(x) is Value:  # a derivative written with gradwalk ops, evaluated on floats
        return x.data  # type: ignore[union-attr]
    c = _number(x)
    if c is None:
        raise TypeError(f"op {op.name!r}: {what} returned {type(x).__name__} {reprlib.repr(x)}, not a number")
    return c


from autograd import ops  # noqa: E402  (ops.py builds on Value; Value's operators use its table)
