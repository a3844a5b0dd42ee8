"""`gradcheck` and `gradgradcheck`: backward's derivatives against central finite differences.

Python floats are IEEE float64, so every difference quotient here is computed in float64.
A derivative passes when |analytic − numeric| ≤ atol + rtol·|numeric| (the defaults are PyTorch's).
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Callable, Sequence

from autograd.backprop import run_backward
from autograd.grad_mode import no_grad
from autograd.value import Value

Function = Callable[..., object]

#: How many mismatching entries a failure message lists before summarising the rest.
_SHOWN = 10


class GradcheckError(AssertionError):
    """A derivative from backward disagrees with finite differences.

    `mismatches` holds one `(output, inputs, analytic, numeric)` tuple per failing entry, where
    `inputs` is `(j,)` for a first derivative and `(j, k)` for a second one.
    """

    def __init__(self, message: str, mismatches: list[tuple[int, tuple[int, ...], float, float]]) -> None:
        super().__init__(message)
        self.mismatches = mismatches


def gradcheck(
    f: Function,
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check ∂f_i/∂x_j from backward against (f_i(x + eps·e_j) − f_i(x − eps·e_j)) / 2eps.

    `f` takes one Value per input and returns a Value or a sequence of Values. Returns True when
    every entry agrees; otherwise raises GradcheckError, or returns False if `raise_exception` is
    False.
    """
    xs = _check_arguments("gradcheck", f, inputs, eps, atol, rtol)
    analytic = _analytic_jacobian(f, xs)
    numeric = _central_differences(lambda point: _output_data(f, point, len(analytic)), xs, eps)
    mismatches = [
        (i, (j,), analytic[i][j], numeric[j][i])
        for i in range(len(analytic))
        for j in range(len(xs))
        if not _close(analytic[i][j], numeric[j][i], atol, rtol)
    ]
    return _verdict("Jacobian", mismatches, xs, eps, atol, rtol, raise_exception)


def gradgradcheck(
    f: Function,
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check ∂²f_i/∂x_j∂x_k from backward(create_graph=True) against central differences of ∂f_i/∂x_j.

    The analytic side differentiates each first derivative again; the numeric side takes
    (∂f_i/∂x_j(x + eps·e_k) − ∂f_i/∂x_j(x − eps·e_k)) / 2eps with first derivatives from backward.
    Returns True, or raises GradcheckError (returns False if `raise_exception` is False).
    """
    xs = _check_arguments("gradgradcheck", f, inputs, eps, atol, rtol)
    n = len(xs)
    analytic = _analytic_hessians(f, xs)
    numeric = _central_differences(lambda point: _flatten(_analytic_jacobian(f, point)), xs, eps)
    mismatches = []
    for i, hessian in enumerate(analytic):
        for j in range(n):
            for k in range(n):
                a, b = hessian[j][k], numeric[k][i * n + j]
                if not _close(a, b, atol, rtol):
                    mismatches.append((i, (j, k), a, b))
    return _verdict("Hessian", mismatches, xs, eps, atol, rtol, raise_exception)


# -- the two sides of the comparison ------------------------------------------------------------


def _outputs(f: Function, args: list[Value]) -> list[Value]:
    """f(*args) as a list of Values, or TypeError saying what f returned instead."""
    out = f(*args)
    if isinstance(out, Value):
        return [out]
    if isinstance(out, Sequence) and not isinstance(out, str) and out:
        for i, o in enumerate(out):
            if not isinstance(o, Value):
                raise TypeError(
                    f"gradcheck: output {i} of f is {type(o).__name__} {reprlib.repr(o)}, not a Value"
                )
        return list(out)
    raise TypeError(
        f"gradcheck: f must return a Value or a non-empty sequence of Values, "
        f"got {type(out).__name__} {reprlib.repr(out)}"
    )


def _output_data(f: Function, point: list[float], expected: int) -> list[float]:
    """The outputs of f at point, computed without recording a graph."""
    with no_grad():
        return [o.data for o in _fresh_outputs(f, point, expected)[1]]


def _fresh_outputs(f: Function, xs: list[float], expected: int | None) -> tuple[list[Value], list[Value]]:
    """New leaf Values for xs, and f's outputs on them (as many as `expected`, when given)."""
    leaves = [Value(x) for x in xs]
    outs = _outputs(f, leaves)
    if expected is not None and len(outs) != expected:
        raise ValueError(f"gradcheck: f returned {expected} outputs on one call and {len(outs)} on another")
    return leaves, outs


def _analytic_jacobian(f: Function, xs: list[float]) -> list[list[float]]:
    """jacobian[i][j] = ∂f_i/∂x_j by backward, with fresh leaves per output so grads never add up."""
    leaves, outs = _fresh_outputs(f, xs, None)
    rows = []
    for i in range(len(outs)):
        if i:
            leaves, outs = _fresh_outputs(f, xs, len(outs))
        outs[i].backward()
        rows.append([_as_number(leaf.grad) for leaf in leaves])
    return rows


def _analytic_hessians(f: Function, xs: list[float]) -> list[list[list[float]]]:
    """hessians[i][j][k] = ∂/∂x_k (∂f_i/∂x_j), the inner derivative kept as a graph by create_graph."""
    n_outputs = len(_fresh_outputs(f, xs, None)[1])
    hessians = []
    for i in range(n_outputs):
        rows = []
        for j in range(len(xs)):
            leaves, outs = _fresh_outputs(f, xs, n_outputs)
            run_backward(outs[i], create_graph=True)
            first = leaves[j].grad
            for leaf in leaves:
                leaf.grad = 0.0
            if isinstance(first, Value):
                first.backward()
                rows.append([_as_number(leaf.grad) for leaf in leaves])
            else:  # a constant first derivative: nothing left to differentiate
                rows.append([0.0] * len(xs))
        hessians.append(rows)
    return hessians


def _central_differences(
    g: Callable[[list[float]], list[float]], xs: list[float], eps: float
) -> list[list[float]]:
    """differences[j][i] = (g_i(x + eps·e_j) − g_i(x − eps·e_j)) / 2eps."""
    columns = []
    for j, x in enumerate(xs):
        above = g([*xs[:j], x + eps, *xs[j + 1 :]])
        below = g([*xs[:j], x - eps, *xs[j + 1 :]])
        columns.append([(a - b) / (2 * eps) for a, b in zip(above, below)])
    return columns


# -- checks and the verdict ---------------------------------------------------------------------------


def _check_arguments(
    name: str, f: Function, inputs: Sequence[float], eps: float, atol: float, rtol: float
) -> list[float]:
    """The inputs as a list of finite floats, or a TypeError/ValueError saying what is wrong."""
    if not callable(f):
        raise TypeError(f"{name}: f must be callable, got {type(f).__name__}")
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"{name}: inputs must be a sequence of floats (e.g. [1.5, -0.3]), "
            f"got {type(inputs).__name__} {reprlib.repr(inputs)}"
        )
    if not inputs:
        raise ValueError(f"{name}: inputs is empty; give one float per argument of f")
    xs = []
    for j, x in enumerate(inputs):
        if isinstance(x, Value):
            raise TypeError(f"{name}: input {j} is a Value; pass floats ({name} makes its own leaf Values)")
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(
                f"{name}: input {j} must be a real number, got {type(x).__name__} {reprlib.repr(x)}"
            )
        if not math.isfinite(x):
            raise ValueError(f"{name}: input {j} is {x!r}; derivatives can only be checked at finite points")
        xs.append(float(x))
    for what, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name}: {what} must be a finite number ≥ 0, got {v!r}")
    if eps == 0:
        raise ValueError(f"{name}: eps must be > 0")
    return xs


def _as_number(grad: float | Value) -> float:
    return grad.data if isinstance(grad, Value) else grad


def _flatten(rows: list[list[float]]) -> list[float]:
    return [x for row in rows for x in row]


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    # Written so that a nan on either side fails the comparison.
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _verdict(
    kind: str,
    mismatches: list[tuple[int, tuple[int, ...], float, float]],
    xs: list[float],
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
) -> bool:
    if not mismatches:
        return True
    if not raise_exception:
        return False
    blocks = [_describe(kind, m, xs, eps, atol, rtol) for m in mismatches[:_SHOWN]]
    if len(mismatches) > _SHOWN:
        blocks.append(f"… and {len(mismatches) - _SHOWN} more mismatching entries")
    raise GradcheckError("\n".join(blocks), mismatches)


def _describe(
    kind: str,
    mismatch: tuple[int, tuple[int, ...], float, float],
    xs: list[float],
    eps: float,
    atol: float,
    rtol: float,
) -> str:
    i, where, analytic, numeric = mismatch
    if kind == "Jacobian":
        place = f"output {i} with respect to input {where[0]}"
        source = "backward"
    else:
        j, k = where
        place = f"output {i} with respect to inputs {j} and {k} (d²/dx{j} dx{k})"
        source = "backward(create_graph=True), then backward"
    point = ", ".join(f"x{j}={x!r}" for j, x in enumerate(xs))
    return (
        f"{kind} mismatch for {place} at ({point}):\n"
        f"    analytic {_show(analytic):<14} from {source}\n"
        f"    numeric  {_show(numeric):<14} from central differences (eps={eps:g})\n"
        f"    |analytic - numeric| = {abs(analytic - numeric):.3g} > "
        f"atol + rtol·|numeric| = {atol + rtol * abs(numeric):.3g}"
    )


def _show(x: float) -> str:
    """x to 8 significant digits: enough to compare, short enough that 2.6000000000000001 reads 2.6."""
    return f"{x:.8g}"
