"""Derivatives as functions: `grad`, `value_and_grad`, `jacobian` and `hessian`, to any order.

All of them are thin wrappers over `_gradients`, one backward pass that leaves every `.grad` as it
found it. Each call differentiates through fresh input nodes of its own, so nested calls never
mix up their derivatives; a call nested in another one, or given Values, returns Values built
with `create_graph=True`, which is what lets the outer call differentiate through it.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Callable, Sequence
from contextvars import ContextVar

from autograd.backprop import run_backward
from autograd.grad_mode import enable_grad
from autograd.graph import iter_nodes
from autograd.value import Value, float_forbidden

Scalar = float | Value
Argnums = int | tuple[int, ...]

#: How many grad/value_and_grad/hessian calls are evaluating their function right now. Inside
#: one, an inner call must return Values: its result may depend on the outer call's inputs.
_depth: ContextVar[int] = ContextVar("gradwalk_functional_depth", default=0)


def grad(
    f: Callable[..., Scalar], argnums: Argnums = 0, *, argnum: int | None = None
) -> Callable[..., Scalar | tuple[Scalar, ...]]:
    """The function x ↦ ∂f/∂x_i (i = argnums): a number for an int argnums, a tuple for a tuple.

    Given floats it returns floats; given Values, or called inside another grad, it returns
    Values that can be differentiated again, so `grad(grad(f))` is the second derivative.
    (`argnum=` is HIPS autograd's spelling of an int `argnums`.)
    """
    value_and_df = _value_and_grad(f, argnums if argnum is None else argnum, "grad")

    def df(*args: object) -> Scalar | tuple[Scalar, ...]:
        return value_and_df(*args)[1]

    df.__name__ = df.__qualname__ = f"grad({_name(f)})"
    return df


def value_and_grad(
    f: Callable[..., Scalar], argnums: Argnums = 0, *, argnum: int | None = None
) -> Callable[..., tuple[Scalar, Scalar | tuple[Scalar, ...]]]:
    """The function x ↦ (f(x), ∂f/∂x_i), both from one evaluation of f; see `grad`."""
    return _value_and_grad(f, argnums if argnum is None else argnum, "value_and_grad")


#: HIPS autograd's name: for scalar functions the element-wise gradient is the gradient.
elementwise_grad = grad


def jacobian(f: Callable[..., Scalar | Sequence[Scalar]]) -> Callable[..., list[list[Scalar]]]:
    """The function x ↦ J with J[i][j] = ∂f_i/∂x_j, for f returning a list of m scalars (or one)
    of n arguments: m×n lists, one backward pass per output."""

    def jac(*args: object) -> list[list[Scalar]]:
        where = f"jacobian({_name(f)})"
        as_values, inputs = _every_argument(args, where)
        outs = _evaluate(f, inputs, where, many=True)
        return [
            [_returned(d, as_values) for d in _gradients(o, inputs, create_graph=as_values)] for o in outs
        ]

    jac.__name__ = jac.__qualname__ = f"jacobian({_name(f)})"
    return jac


def _value_and_grad(
    f: Callable[..., Scalar], argnums: Argnums, kind: str
) -> Callable[..., tuple[Scalar, Scalar | tuple[Scalar, ...]]]:
    positions = _check_argnums(argnums, kind)
    where = f"{kind}({_name(f)}, argnums={argnums!r})"

    def value_and_df(*args: object) -> tuple[Scalar, Scalar | tuple[Scalar, ...]]:
        indices = _resolve(positions, len(args), where)
        as_values = _wants_values(args)
        inputs = _fresh_inputs(args, indices, where)
        out = _evaluate(f, _with_inputs(args, inputs), where)
        grads = _gradients(out, list(inputs.values()), create_graph=as_values)
        by_position = dict(zip(inputs, grads, strict=True))
        result = tuple(_returned(by_position[i], as_values) for i in indices)
        return _returned(out, as_values), (result[0] if type(argnums) is int else result)

    value_and_df.__name__ = value_and_df.__qualname__ = f"value_and_grad({_name(f)})"
    return value_and_df


def hessian(f: Callable[..., Scalar]) -> Callable[..., list[list[Scalar]]]:
    """The function x ↦ H with H[i][j] = ∂²f/∂x_i∂x_j over all of f's arguments (n×n lists)."""

    def hess(*args: object) -> list[list[Scalar]]:
        where = f"hessian({_name(f)})"
        as_values, inputs = _every_argument(args, where)
        out = _evaluate(f, inputs, where)
        first = _gradients(out, inputs, create_graph=True)
        return [
            [_returned(d, as_values) for d in _gradients(g, inputs, create_graph=as_values)] for g in first
        ]

    hess.__name__ = hess.__qualname__ = f"hessian({_name(f)})"
    return hess


# -- the core -------------------------------------------------------------------------------------


def _gradients(out: Scalar, inputs: Sequence[Value], *, create_graph: bool) -> list[Scalar]:
    """∂out/∂x for each x in inputs, by one backward pass; every .grad is restored afterwards.

    Restoring is what keeps levels apart: an inner pass also reaches the outer level's inputs
    (and any Value f closes over), and must not leave its partial derivatives in their grads.
    """
    if type(out) is not Value:
        return [0.0] * len(inputs)  # f returned a number: nothing depends on the inputs
    saved = [(node, node.grad) for node in iter_nodes(out)]
    try:
        run_backward(out, create_graph=create_graph)
        return [x.grad for x in inputs]  # an input out does not depend on keeps its fresh 0.0
    finally:
        for node, g in saved:
            node.grad = g


def _fresh_inputs(args: Sequence[object], indices: Sequence[int], where: str) -> dict[int, Value]:
    """A new node for each differentiated argument: a leaf for a number, `x + 0` for a Value x.

    For a Value the new node keeps the path back to x (so an outer level can differentiate
    through this one) while its own grad holds only this level's derivative.
    """
    inputs: dict[int, Value] = {}
    with enable_grad():
        for i in indices:
            if i in inputs:
                continue
            a = args[i]
            if type(a) is Value:
                inputs[i] = a + 0.0
                inputs[i].label = a.label
            elif type(a) is not bool and isinstance(a, numbers.Real):
                inputs[i] = Value(float(a))
            else:
                raise TypeError(
                    f"{where}: argument {i} is differentiated, so it must be a real number or a Value, "
                    f"got {type(a).__name__} {reprlib.repr(a)}"
                )
    return inputs


def _every_argument(args: Sequence[object], where: str) -> tuple[bool, list[Value]]:
    """(whether to return Values, a fresh input for every argument), for jacobian and hessian."""
    if not args:
        raise TypeError(f"{where}: give at least one argument to differentiate by")
    return _wants_values(args), list(_fresh_inputs(args, range(len(args)), where).values())


def _with_inputs(args: Sequence[object], inputs: dict[int, Value]) -> list[object]:
    return [inputs.get(i, a) for i, a in enumerate(args)]


def _evaluate(f: Callable[..., Scalar], args: Sequence[object], where: str, many: bool = False) -> Scalar:
    """f(*args) with the graph recorded (even inside no_grad), counted as one nesting level;
    with `many`, f may return a list or tuple of scalars, and a list is returned.

    float(value) is refused meanwhile: `math.sin(x)` would return a plain number and the
    derivative would silently lose that path (to 0 for `grad(math.sin)`).
    """
    depth = _depth.set(_depth.get() + 1)
    no_float = float_forbidden.set(f"{where}: f")
    try:
        with enable_grad():
            out = f(*args)
    finally:
        float_forbidden.reset(no_float)
        _depth.reset(depth)
    if many:
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [_scalar(o, where) for o in outs]  # type: ignore[return-value]
    return _scalar(out, where)


def _scalar(out: object, where: str) -> Scalar:
    if type(out) is Value:
        return out
    if type(out) is not bool and isinstance(out, numbers.Real):
        return float(out)
    raise TypeError(
        f"{where}: f must return one scalar (a Value or a real number), got {type(out).__name__} "
        f"{reprlib.repr(out)}; differentiate each output separately"
    )


def _wants_values(args: Sequence[object]) -> bool:
    """Return Values (built with create_graph) when given Values or called inside another call."""
    return _depth.get() > 0 or any(type(a) is Value for a in args)


def _returned(x: Scalar, as_value: bool) -> Scalar:
    if as_value:
        return x if type(x) is Value else Value(x)
    return x.data if type(x) is Value else x


def _check_argnums(argnums: object, where: str) -> tuple[int, ...]:
    if type(argnums) is int:
        return (argnums,)
    if type(argnums) is tuple and argnums and all(type(i) is int for i in argnums):
        return argnums
    raise TypeError(f"{where}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def _resolve(positions: tuple[int, ...], n: int, where: str) -> list[int]:
    """argnums as indices into f's n arguments (negative ones count from the end)."""
    for i in positions:
        if not -n <= i < n:
            raise ValueError(
                f"{where}: argnum {i} is out of range, f was called with {n} argument(s) "
                f"(valid: 0..{n - 1}, or -{n}..-1)"
                if n
                else f"{where}: f was called with no arguments, so there is nothing to differentiate"
            )
    return [i % n for i in positions]


def _name(f: object) -> str:
    return getattr(f, "__name__", type(f).__name__)


__all__ = ["elementwise_grad", "grad", "hessian", "jacobian", "value_and_grad"]
