"""`Op`: a differentiable function of scalars, given as its forward and its derivatives.

Every node of the graph is made by an Op, built-in or user-defined; this is the one rule mechanism.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence

#: ∂out/∂input: a function of the op's arguments, or a number when it is constant (as ∂(x + y)/∂x = 1).
Derivative = Callable[..., object] | float


class Op:
    """f(x0, …, xn-1) with ∂f/∂xi given by `derivatives[i](x0, …, xn-1)`.

    `forward` takes floats. Each derivative takes the same arguments and may be written with
    gradwalk functions (`autograd.exp`, `autograd.cos`, …): then it works on floats for the
    ordinary backward pass and on Values for higher-order derivatives. A derivative that is a
    constant can be given as the number itself; nodes then record it without a call.
    """

    __slots__ = ("name", "forward", "derivatives", "constants", "arity", "checked", "flipped", "swapped")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        *derivatives: Derivative,
        checked: bool = False,
        _swapped_from: Op | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"op name must be a non-empty str, got {name!r}")
        if not callable(forward):
            raise TypeError(f"op {name!r}: forward must be callable, got {type(forward).__name__}")
        if not derivatives:
            raise ValueError(f"op {name!r}: give one derivative per input, got none")
        for i, d in enumerate(derivatives):
            if not callable(d) and _number(d) is None:
                raise TypeError(
                    f"op {name!r}: derivative {i} must be callable or a number, got {type(d).__name__}"
                )
        _check_arity(name, forward, len(derivatives))
        self.name = name
        self.forward = forward
        #: Each derivative as a function of the op's arguments (a constant one returns its number).
        self.derivatives = tuple(d if callable(d) else _returning(_number(d)) for d in derivatives)
        #: Each derivative's number when it is a constant, else None.
        self.constants = tuple(None if callable(d) else _number(d) for d in derivatives)
        self.arity = len(derivatives)
        #: User ops (made by `op()`) have their results checked; built-in ops are trusted, for speed.
        self.checked = checked
        #: For a binary op, its twin with the arguments swapped (and the twin's twin is the op):
        #: `c - x` is recorded as SUB.flipped(x, c), so a node's Value operand comes before its number.
        self.flipped: Op | None = _swapped_from
        #: True for such a twin, whose operands are in the reverse of the written order.
        self.swapped = _swapped_from is not None
        if self.arity == 2 and _swapped_from is None:
            d0, d1 = derivatives
            self.flipped = Op(
                name,
                lambda x, c: forward(c, x),
                _swapped(d1),
                _swapped(d0),
                checked=checked,
                _swapped_from=self,
            )

    def __call__(self, *args: object) -> object:
        """Apply the op to Values or numbers; returns a Value recording parents and local grads."""
        from autograd.nodes import apply

        if len(args) != self.arity:
            raise TypeError(f"op {self.name!r} takes {self.arity} argument(s), got {len(args)}")
        return apply(self, args)

    def __repr__(self) -> str:
        return f"<op {self.name!r}/{self.arity}>"


class VariadicOp:
    """f(x0, …, xn-1) for any n: `forward(xs)` and `grads(xs)` take the sequence of all n
    operands, and `grads` gives all n local derivatives at once, as a tuple."""

    __slots__ = ("name", "forward", "grads")

    def __init__(
        self,
        name: str,
        forward: Callable[[Sequence[float]], float],
        grads: Callable[[Sequence[object]], tuple[object, ...]],
    ) -> None:
        self.name = name
        self.forward = forward
        self.grads = grads

    def __repr__(self) -> str:
        return f"<op {self.name!r}/n>"


def _number(x: object) -> float | None:
    """x as a float when it is a plain real number (not a bool), else None (the caller then
    returns NotImplemented, or raises)."""
    t = type(x)
    if t is float:
        return x  # type: ignore[return-value]
    if t is int or (t is not bool and isinstance(x, numbers.Real)):
        return float(x)  # type: ignore[arg-type]
    return None


def _returning(c: float) -> Callable[..., float]:
    """The function of any arguments that returns c."""
    return lambda *args: c


def _swapped(d: Derivative) -> Derivative:
    """d for the swapped twin, which takes the same two arguments in the other order."""
    return d if not callable(d) else lambda x, c: d(c, x)


def _check_arity(name: str, forward: Callable[..., float], n: int) -> None:
    """Raise when forward's signature cannot take n positional arguments (when it is known)."""
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # builtins such as math.hypot have no signature
        return
    try:
        signature.bind(*range(n))
    except TypeError:
        raise ValueError(
            f"op {name!r}: got {n} derivative(s), but forward{signature} does not take {n} argument(s)"
        ) from None


def op(name: str, forward: Callable[..., float], *derivatives: Derivative) -> Op:
    """A user-defined op: `forward` on floats and one derivative ∂out/∂input_i per input."""
    return Op(name, forward, *derivatives, checked=True)
