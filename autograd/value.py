"""`Value`: a scalar node of the computation graph, and the layout of what a node records.

A node records the op that made it (`creator`) and, for each parent, the local derivative
∂node/∂parent as a plain float. It holds no closures, so a graph has no reference cycles and is
freed by reference counting alone (the one exception is `backward(create_graph=True)`, see
`autograd.backprop`).

The layout, in slots, and the only code that writes them is in this module:

| slot | leaf | one parent | two parents | n parents (sum, dot) |
|---|---|---|---|---|
| `_fn` | None (NO_GRAD if made under no_grad) | the Op | the Op | the Op |
| `_p0`, `_g0` | None | parent, ∂/∂parent | first parent, its ∂ | tuple of parents, tuple of ∂ |
| `_p1`, `_g1` | None | None (`_g1`: a number operand) | second parent, its ∂ | MANY |
| `_c` | | with a number operand: its position, 0 or 1 | | with number operands: all operands |

(`_c` and, for one parent, `_g1` are set only when an operand is a number; `operands` reads them.)

Most nodes have one or two parents, so those live in slots rather than in tuples: a node is
then a single object, which halves the work of Python's cyclic garbage collector and the memory
per op. Ops write nodes through the per-arity templates below (see `autograd.methods`); a
reader can think of each op as `Value(out, parents, local_grads)`.
"""

from __future__ import annotations

import numbers
import reprlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograd.op import Op


class Value:
    """A scalar with a gradient: `Value(data, label="")`.

    `data` is stored as a float. `grad` starts at 0.0 and is filled by `backward()`. `label`
    names the value in drawings and explanations.
    """

    __slots__ = ("data", "grad", "label", "_fn", "_p0", "_g0", "_p1", "_g1", "_c")

    data: float
    grad: float | Value
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        self.data = as_float(data, "Value(data)")
        self.grad = 0.0
        if type(label) is not str:
            raise TypeError(f"Value(label): expected str, got {type(label).__name__}")
        self.label = label
        self._fn = self._p0 = self._p1 = None

    # -- what the node records (read-only views; see the table above) ---------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in written order (empty for a leaf)."""
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
    def operands(self) -> tuple[Value | float, ...]:
        """The arguments the op was applied to, in written order: Values, and floats for constants.

        `(2 - x).operands == (2.0, x)`; the position of a parent among them is its argument index.
        """
        try:
            c = self._c
        except AttributeError:
            return self.parents
        if c.__class__ is int:  # one Value and one number: the number is in _g1, at position c
            return (self._g1, self._p0) if c == 0 else (self._p0, self._g1)
        return c

    @property
    def creator(self) -> Op | None:
        """The op (a record of the table in autograd/ops.py) that made this node; None for a leaf."""
        fn = self._fn
        return None if fn is None or fn is NO_GRAD else fn

    @property
    def op(self) -> str:
        """How the op that made this node is written (`*`, `tanh`, `dot`), '' for a leaf."""
        creator = self.creator
        return creator.symbol if creator is not None else ""

    @property
    def is_leaf(self) -> bool:
        """True for a Value with no parents: made by the user, or under no_grad, or detached."""
        return self._p0 is None

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        return Value(self.data, self.label)

    # -- micrograd's names, so that its lectures' cells run unchanged ------------------------------

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name: the set of this node's parents."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name: the op's symbol as a string ('' for a leaf)."""
        return self.op

    # `backward()` and micrograd's `_backward()` are added by autograd.backprop, the layer above,
    # and the operators and methods (`+ - * / ** %`, `exp`, `tanh`, …) by autograd.methods from
    # the op table; autograd/value.pyi declares them for type checkers.

    # -- PyTorch's names ----------------------------------------------------------------------------

    def item(self) -> float:
        """The data as a Python float (PyTorch's name)."""
        return self.data

    def retain_grad(self) -> None:
        """Accepted for PyTorch habits: every node already keeps its grad after backward()."""

    # -- conversions and comparisons look at data; == and hash are by identity ------------------------

    def __float__(self) -> float:
        where = float_forbidden.get()
        if where:
            raise TypeError(
                f"{where} turned a Value into a float (with math.sin(x), math.cos(x) or float(x), say), "
                "which cuts the graph, so it cannot be differentiated again (that derivative would be lost); "
                "use gradwalk functions "
                "(autograd.sin, autograd.cos, autograd.exp, …) or make an op with autograd.op"
            )
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __round__(self, ndigits: int | None = None) -> float | int:
        return round(self.data, ndigits)

    def __bool__(self) -> bool:
        """As for the float: False for 0.0 only."""
        return self.data != 0.0

    def __lt__(self, other: Value | float) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Value | float) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Value | float) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= _data_of(other)

    __hash__ = object.__hash__  # nodes live in sets and dicts by identity

    def __format__(self, spec: str) -> str:
        """`f"{v:.4f}"` formats the data; a bare `f"{v}"` gives the repr."""
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


#: Set while a derivative is evaluated on Values (by create_graph and grad(), to what is being
#: differentiated: "op 'f': a derivative", "grad(f): f"): `float(value)` would then silently cut
#: the graph, so it raises instead.
float_forbidden: ContextVar[str] = ContextVar("gradwalk_float_forbidden", default="")

#: `_p1` of a node with more than two parents: its `_p0` and `_g0` are tuples.
MANY = object()
#: `_fn` of a result computed under no_grad: a leaf, but one that backward() refuses.
NO_GRAD = object()


# -- numbers ---------------------------------------------------------------------------------------


def number(x: object) -> float | None:
    """x as a float when it is a plain real number (not a bool), else None (the caller then
    returns NotImplemented, or raises). An int too large for a float raises OverflowError."""
    t = type(x)
    if t is float:
        return x  # type: ignore[return-value]
    if t is int or (t is not bool and isinstance(x, numbers.Real)):
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(f"the number {reprlib.repr(x)} is too large for a float") from None
    return None


def as_float(x: object, where: str) -> float:
    """x as a float, or TypeError naming its type (bool and non-real types are refused)."""
    try:
        f = number(x)
    except OverflowError as e:
        raise OverflowError(f"{where}: {e}") from None
    if f is None:
        raise TypeError(
            f"{where}: expected a real number (int or float), got {type(x).__name__} {reprlib.repr(x)}"
        )
    return f


def _data_of(x: object) -> float:
    return x.data if type(x) is Value else as_float(x, "comparison")  # type: ignore[union-attr]


# -- the node writers: one per arity -----------------------------------------------------------------
#
# The generic writer serves user ops and the functions (atan2, hypot, sum, dot); the fast operators
# and methods of autograd.methods are generated from the templates, so that the slots are written
# in this module's words only.

_new = Value.__new__


def make_node(data: float, fn: Op, parents: tuple, grads: tuple, operands: tuple | None) -> Value:
    """A recorded node; `operands` is given (in written order) when some of them are numbers."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._fn = fn
    n = len(parents)
    if n == 1:
        node._p0, node._g0, node._p1 = parents[0], grads[0], None
    elif n == 2:
        node._p0, node._p1 = parents
        node._g0, node._g1 = grads
    else:
        node._p0, node._g0, node._p1 = parents, grads, MANY
    if operands is None:
        return node
    if n == 1 and len(operands) == 2:  # as RECORD_CONSTANT: no tuple for the common case
        position = 0 if operands[1] is parents[0] else 1
        node._g1, node._c = operands[position], position
    else:
        node._c = operands
    return node


def untracked(data: float) -> Value:
    """A result computed under no_grad: a leaf with no history."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._fn = NO_GRAD
    node._p0 = node._p1 = None
    return node


#: Templates for generated code, by the number of Value operands: `{node}` is the new node's
#: variable, `{fn}` the Op, `{p0}`/`{g0}`… the parents and their local derivatives; a binary op
#: with one number operand keeps it in `_g1`, its position (0 or 1) in `_c`. Each is the exact
#: counterpart of `make_node`.
RECORD = {
    1: "{node}._fn = {fn}; {node}._p0 = {p0}; {node}._g0 = {g0}; {node}._p1 = None",
    2: "{node}._fn = {fn}; {node}._p0 = {p0}; {node}._g0 = {g0}; {node}._p1 = {p1}; {node}._g1 = {g1}",
}
NEW = '{node} = _new(Value); {node}.data = {data}; {node}.grad = 0.0; {node}.label = ""'
RECORD_MANY = "{node}._fn = {fn}; {node}._p0 = {p0}; {node}._g0 = {g0}; {node}._p1 = MANY"
RECORD_CONSTANT = "{node}._g1 = {const}; {node}._c = {position}"
UNTRACKED = "{node}._fn = NO_GRAD; {node}._p0 = {node}._p1 = None"
