"""How ops make nodes: the hot paths behind every operator, method and user op.

Each function computes the op's value on floats and, when recording, stores the parents with
their local derivatives from the op's own rule (see `autograd.value` for the node layout).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable, Sequence
from itertools import compress

from autograd.grad_mode import is_recording
from autograd.op import Op, VariadicOp, _number
from autograd.value import MANY, AnyOp, Value, _as_float


def make_node(data: float, op: AnyOp | None, parents: tuple, grads: tuple, const: object) -> Value:
    """A new node with any number of parents (no validation: callers pass floats)."""
    node = _new(Value)
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


def leaf(data: float) -> Value:
    """A result computed under no_grad: a node with no history."""
    return make_node(data, None, (), (), None)


def unary_method(op: Op) -> Callable[[Value], Value]:
    """The method `x.f()` for a one-input op: its body is written once, here, and bound to each op.

    Reading the op's forward and derivative from closure variables, with no second call, is what
    makes this the fast path of every method such as `x.tanh()`. A constant derivative (`-x`'s −1)
    is recorded as its number, without a call.
    """
    forward, (derivative,), (constant,) = op.forward, op.derivatives, op.constants

    def method(x: Value) -> Value:
        xd = x.data
        node = _new(Value)
        node.data = forward(xd)
        node.grad = 0.0
        node.label = ""
        node._const = node._p1 = node._g1 = None
        if is_recording():
            node._op = op
            node._p0 = x
            node._g0 = derivative(xd) if constant is None else constant
        else:
            node._op = node._p0 = node._g0 = None
        return node

    return method


def binary_method(op: Op) -> Callable[[Value, object], Value]:
    """The operator `x ∘ y` for a Value x and a Value or number y (a number is a constant, not a
    parent): the body of every `+ - * / **` and their reflected forms, bound to each op as above."""
    forward, (d0, d1), (c0, c1) = op.forward, op.derivatives, op.constants

    def method(x: Value, y: object) -> Value:
        xd = x.data
        if type(y) is Value:
            yd = y.data
            const = None
        elif type(y) is float:
            yd = const = y
        else:
            yd = const = _number(y)
            if yd is None:
                return NotImplemented
        node = _new(Value)
        node.data = forward(xd, yd)
        node.grad = 0.0
        node.label = ""
        if not is_recording():
            node._op = node._const = node._p0 = node._g0 = node._p1 = node._g1 = None
        elif const is None:
            node._op = op
            node._const = None
            node._p0 = x
            node._g0 = d0(xd, yd) if c0 is None else c0
            node._p1 = y
            node._g1 = d1(xd, yd) if c1 is None else c1
        else:
            node._op = op
            node._const = const
            node._p0 = x
            node._g0 = d0(xd, yd) if c0 is None else c0
            node._p1 = node._g1 = None
        return node

    return method


#: Making a node without running Value.__init__'s checks: the callers pass floats.
_new = Value.__new__


def apply(op: Op, args: Sequence[object]) -> Value:
    """op(*args) for Values and numbers in any mix: the general (and checked) path of user ops."""
    values = [as_operand(a, op, i) for i, a in enumerate(args)]
    if len(values) == 2 and type(values[0]) is not Value and type(values[1]) is Value:
        op, values = op.flipped, values[::-1]  # type: ignore[assignment]
    floats = [v.data if type(v) is Value else v for v in values]
    data = checked_float(op.forward(*floats), op, "forward")
    positions = [i for i, v in enumerate(values) if type(v) is Value]
    if not positions or not is_recording():
        return leaf(data)
    parents = tuple(values[i] for i in positions)
    grads = tuple(checked_float(op.derivatives[i](*floats), op, f"derivative {i}") for i in positions)
    if len(positions) == len(values):
        const = None
    elif len(values) == 2:
        const = values[1]
    else:
        const = tuple(values)
    return make_node(data, op, parents, grads, const)


def apply_variadic(op: VariadicOp, operands: Iterable[object]) -> Value:
    """op(*operands) for a variadic op such as sum or dot: one node with many parents.

    The hot path of a neuron's weighted sum, so when every operand is a Value their types
    are checked and their data read in one list comprehension.
    """
    values = operands if type(operands) is tuple else tuple(operands)
    floats = [v.data for v in values if type(v) is Value]
    if len(floats) == len(values) and is_recording():  # all Values: checked and read in one pass
        node = _new(Value)  # make_node's work, written out for the many-parent case
        node.data = op.forward(floats)
        node.grad = 0.0
        node.label = ""
        node._op = op
        node._const = node._g1 = None
        node._p0 = values
        node._g0 = op.grads(floats)
        node._p1 = MANY
        return node
    is_value = [type(v) is Value for v in values]
    floats = [v.data if b else v for v, b in zip(values, is_value)]
    if set(map(type, floats)) != _JUST_FLOATS:  # ints or other numbers: converted once, or refused
        floats = [
            x if type(x) is float else _as_float(x, f"{op.name}: operand {i}") for i, x in enumerate(floats)
        ]
        values = tuple(v if b else x for v, x, b in zip(values, floats, is_value))
    data = op.forward(floats)
    if not is_recording() or True not in is_value:
        return leaf(data)
    parents = tuple(compress(values, is_value))
    grads = tuple(compress(op.grads(floats), is_value))
    return make_node(data, op, parents, grads, values)  # `_const`: the operands, numbers included


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


def as_operand(x: object, op: Op, i: int) -> object:
    if type(x) is Value:
        return x
    c = _number(x)
    if c is None:
        raise TypeError(
            f"op {op.name!r}: argument {i} must be a Value or a real number, got {type(x).__name__}"
        )
    return c


def checked_float(x: object, op: AnyOp, what: str) -> float:
    """The result of a user op's function as a float, or TypeError naming the op."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if type(x) is Value:  # a derivative written with gradwalk ops, evaluated on floats
        return x.data  # type: ignore[union-attr]
    c = _number(x)
    if c is None:
        raise TypeError(f"op {op.name!r}: {what} returned {type(x).__name__} {reprlib.repr(x)}, not a number")
    return c
