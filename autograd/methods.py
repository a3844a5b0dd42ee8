"""Value's operators and methods, generated from the op table: the engine's one speed trick.

For each op of autograd/ops.py this writes out, as Python source, the body a reader would write
by hand, as microgpt's engine does: compute the forward, compute the local derivatives next to
it, record the node. The forward and derivative texts are pasted in from the op's record and the
node writes from autograd/value.py's templates, so each rule still exists once, and an op added
to the table gets its method with no further work. Writing the body out, rather than calling the
rule's functions, saves about a hundred nanoseconds per op; the source is built only from the
table's own text (module constants), never from user input.

`methods.source(op)` shows what was generated for an op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from autograd import floats, ops, value
from autograd import op as op_module
from autograd.grad_mode import is_recording
from autograd.op import OPERATORS, Op, op_error
from autograd.value import (
    MANY,
    NEW,
    NO_GRAD,
    RECORD,
    RECORD_CONSTANT,
    RECORD_MANY,
    UNTRACKED,
    Value,
    untracked,
)

_REFLECTED = {name: f"__r{name[2:]}" for name in OPERATORS.values()}

#: The names generated code refers to, besides the table's math words (autograd/floats.py).
_ENGINE = {
    "Value": Value,
    "_new": value._new,
    "NO_GRAD": NO_GRAD,
    "MANY": MANY,
    "recording": is_recording,
    "op_error": op_error,
    "derivative_error": None,  # set below
    "number": None,  # set below
    "_ERRORS": (ArithmeticError, ValueError),
}


def derivative_error(op: Op, error: Exception, xs: tuple[float, ...]) -> Exception:
    """An error while evaluating a derivative after a valid forward, naming the op and operands."""
    at = ", ".join(map(repr, xs))
    return type(error)(f"{op.symbol}: its derivative at ({at}) cannot be computed: {error}")


def constant(x: object, op: Op) -> float | None:
    """A number operand as a float (None when it is not a number: the caller returns NotImplemented)."""
    try:
        return value.number(x)
    except OverflowError as e:
        raise OverflowError(f"{op.symbol}: {e}") from None


_ENGINE["derivative_error"] = derivative_error
_ENGINE["number"] = constant


def source(op: Op, name: str | None = None) -> str:
    """The generated source of op's method `name` (its default method if not given)."""
    name = name or op.method
    forward, derivatives = op.math
    if op.arity == 1:
        return _unary(name, forward, derivatives[0])
    if name in _REFLECTED.values():
        return _binary(name, forward, derivatives, reflected=True)
    return _binary(name, forward, derivatives, reflected=False)


def _indent(lines: str, n: int) -> str:
    return "\n".join(" " * n + line.strip() for line in lines.split(";"))


def _record(
    p0: str, p1: str | None = None, constant: tuple[str, int] | None = None
) -> Callable[[list[str]], str]:
    """The node writes for parents p0 (and p1), given the expressions of their local derivatives."""

    def record(grads: list[str]) -> str:
        g1 = grads[1] if p1 is not None else None
        fields = {"node": "node", "fn": "OP", "p0": p0, "g0": grads[0], "p1": p1, "g1": g1}
        text = RECORD[1 if p1 is None else 2].format(**fields)
        if constant is not None:
            text += "; " + RECORD_CONSTANT.format(node="node", const=constant[0], position=constant[1])
        return text

    return record


def _body(
    forward: str,
    xs: str,
    derivatives: list[str],
    record: Callable[[list[str]], str],
    depth: int,
    recording: str = "recording()",
) -> str:
    """Forward, then (when recording) the local derivatives and the node. A derivative that is
    an operand's name or a number (`y`, `ans`, `-1.0`) cannot fail, so it is written straight
    into its slot; the others are computed first, in a try that names the op on failure."""
    pad = " " * depth
    grads = [text if _is_plain(text) else f"g{i}" for i, text in enumerate(derivatives)]
    computed = "; ".join(f"{g} = {text}" for g, text in zip(grads, derivatives) if g != text)
    guarded = (
        f"{pad}    try:\n{_indent(computed, depth + 8)}\n"
        f"{pad}    except _ERRORS as error:\n"
        f"{pad}        raise derivative_error(OP, error, ({xs},)) from None\n"
        if computed
        else ""
    )
    return (
        f"{pad}try:\n{pad}    ans = {forward}\n"
        f"{pad}except _ERRORS as error:\n{pad}    raise op_error(OP, error, ({xs},)) from None\n"
        f"{pad}{NEW.format(node='node', data='ans')}\n"
        f"{pad}if {recording}:\n"
        f"{guarded}"
        f"{_indent(record(grads), depth + 4)}\n"
        f"{pad}else:\n{_indent(UNTRACKED.format(node='node'), depth + 4)}\n"
        f"{pad}return node\n"
    )


def _is_plain(text: str) -> bool:
    """True for an operand's name or a number: `y`, `ans`, `1.0`, `-1.0`."""
    return text.isidentifier() or text.lstrip("-").replace(".", "", 1).isdigit()


def _unary(name: str, forward: str, derivative: str) -> str:
    return f"def _method(self):  # {name}\n    x = self.data\n" + _body(
        forward, "x", [derivative], _record("self"), 4
    )


def _binary(name: str, forward: str, derivatives: tuple[str, str], reflected: bool) -> str:
    d0, d1 = derivatives
    if reflected:  # `2 - v`: the number is the first operand x, the Value the second, y
        return (
            f"def _method(self, other):  # {name}\n    y = self.data\n"
            f"    x = other if type(other) is float else number(other, OP)\n"
            f"    if x is None:\n        return NotImplemented\n"
            + _body(forward, "x, y", [d1], _record("self", constant=("x", 0)), 4)
        )
    return (
        f"def _method(self, other):  # {name}\n    x = self.data\n"
        f"    if type(other) is Value:\n        y = other.data\n"
        + _body(forward, "x, y", [d0, d1], _record("self", "other"), 8)
        + "    y = other if type(other) is float else number(other, OP)\n"
        "    if y is None:\n        return NotImplemented\n"
        + _body(forward, "x, y", [d0], _record("self", constant=("y", 1)), 4)
    )


def _compile(op: Op, name: str) -> Callable[..., Value]:
    namespace = {**floats.NAMESPACE, **_ENGINE, "OP": op}
    code = compile(source(op, name), f"<gradwalk method {op.name}.{name}>", "exec")
    exec(code, namespace)
    method = namespace["_method"]
    method.__name__, method.__qualname__ = name, f"Value.{name}"
    method.__doc__ = (
        f"The op {op.name!r}: {op.math[0]}, with ∂ = {', '.join(op.math[1])} (see autograd/ops.py)."
    )
    return method


def bind(table: Iterable[Op]) -> None:
    """Make each op of the table Value's method or operator (and reflected operator)."""
    for op in table:
        if op.method is None or op.arity is None:
            continue
        setattr(Value, op.method, _compile(op, op.method))
        if op.method in _REFLECTED:
            setattr(Value, _REFLECTED[op.method], _compile(op, _REFLECTED[op.method]))


bind(ops.TABLE)


# -- sum and dot: one node with many parents, the hot path of a neuron's weighted sum ----------------


def _variadic(name: str, forward: str, derivatives: str) -> str:
    """The source of sum's or dot's node maker: all operands Values, recording; else the general path."""
    return (
        f"def _method(values):  # {name}\n"
        "    xs = [v.data for v in values if type(v) is Value]\n"
        "    if not values or len(xs) != len(values) or not recording():\n"
        "        return apply(OP, values)\n"
        + _body(forward, "*xs", [derivatives], _record_many, 4, recording="True")
    )


def _record_many(grads: list[str]) -> str:
    return RECORD_MANY.format(node="node", fn="OP", p0="values", g0=grads[0])


def _compile_variadic(op: Op) -> Callable[[tuple], Value]:
    namespace = {**floats.NAMESPACE, **_ENGINE, "OP": op, "apply": op_module.apply}
    exec(compile(_variadic(op.name, *op.math[:1], op.math[1][0]), f"<gradwalk {op.name}>", "exec"), namespace)
    return namespace["_method"]


_sum_node, _dot_node = _compile_variadic(ops.SUM), _compile_variadic(ops.DOT)


def sum_(values: Iterable[Value | float]) -> Value:
    """x0 + x1 + … + xn−1 as one node with n parents; ∂/∂xi = 1. `sum([])` is a leaf 0.0."""
    return _sum_node(values if type(values) is tuple else tuple(values))


def dot(xs: Iterable[Value | float], ys: Iterable[Value | float], start: Value | float = 0.0) -> Value:
    """start + x0·y0 + … + xn−1·yn−1 as one node; ∂/∂xi = yi, ∂/∂yi = xi, ∂/∂start = 1.

    With `start`, a neuron's whole weighted sum w·x + b is one node: `dot(w, x, b)`.
    """
    if type(xs) not in _SEQUENCES:
        xs = tuple(xs)
    if type(ys) not in _SEQUENCES:
        ys = tuple(ys)
    if len(xs) != len(ys):
        raise ValueError(f"dot: xs and ys differ in length ({len(xs)} vs {len(ys)})")
    return _dot_node((*xs, *ys, start) if type(start) is Value or start != 0 else (*xs, *ys))


_SEQUENCES = (list, tuple)

__all__ = ["bind", "dot", "source", "sum_", "untracked"]
