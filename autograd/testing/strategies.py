"""Hypothesis strategies: random differentiable formulas, and points inside an op's domain.

    from hypothesis import given
    from autograd.testing import gradcheck
    from autograd.testing.strategies import expressions

    @given(expressions(ops=[my_op]))
    def test_backward_matches_finite_differences(e):
        assert gradcheck(e, e.inputs)

Every choice is drawn from hypothesis, so examples shrink (to few ops, few inputs, simple
numbers) and replay from hypothesis's database.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from autograd.op import Op
from autograd.testing.domains import GRAD_BOUND, INPUT_RADIUS, VALUE_BOUND, Domain, DomainSpec
from autograd.testing.expression import BUILTIN_SPECS, Const, Expression, ExpressionBuilder, OpSpec, spec_for
from autograd.value import Value

#: A drawn step: an op (None: skip) and its operands, constants or how far back from the newest node.
Step = tuple[OpSpec | None, list[Const | int]]

#: The number operands a formula may contain, as in `x0 * 2.0` or `0.5 ** x1`.
CONSTANTS = (2.0, 0.5, 3.0, 1.5)

OpLike = Op | str | tuple[Op | str, DomainSpec]

__all__ = ["CONSTANTS", "Domain", "Expression", "expressions", "values"]


def expressions(
    *,
    n_inputs: int | SearchStrategy[int] | None = None,
    max_ops: int = 6,
    ops: Iterable[OpLike] = (),
    builtins: bool | Iterable[str] = True,
    inputs: SearchStrategy[float] | None = None,
) -> SearchStrategy[Expression]:
    """Random formulas over the built-in ops and `ops`, each with a point where all of it is smooth.

    - `n_inputs`: how many inputs x0, x1, … (an int, or a strategy for one; default 1 to 3).
    - `max_ops`: at most this many ops per formula.
    - `ops`: user ops to mix in: `my_op`, or `(my_op, domain)` where domain is a `Domain`, a
      `(lo, hi)` pair, one of those per argument, or a predicate `(x0, …) -> bool`.
    - `builtins`: True for every built-in op, False for none, or the names to use ("tanh", "*", …).
    - `inputs`: a strategy for each input (default: floats in [-3, 3]).

    At the drawn point every op's arguments stay inside its domain, at least max(1e-3, 1e-4·|∇|)
    from kinks and edges, and every intermediate value v keeps |v| ≤ 100 and Σ|∂v/∂x_k| ≤ 100.
    An op that would break this at the point is left out of the formula, never hidden.

    Every op given in `ops` appears in every formula (placed on inputs drawn from its domain if
    need be), and every formula has at least one op. An op in `ops` that is safe nowhere in its
    domain (a typo such as `(2, 5)` for asin, or values beyond the bounds) raises ValueError
    here, naming the op and the reason, rather than passing tests it never took part in.
    """
    pool, required = _pool(ops, builtins)
    for spec in required:
        _check_placeable(spec)
    if n_inputs is None:
        n_inputs = st.integers(1, 3)
    elif isinstance(n_inputs, int) and not isinstance(n_inputs, bool):
        if n_inputs < 1:
            raise ValueError(f"expressions: n_inputs must be ≥ 1, got {n_inputs}")
        n_inputs = st.just(n_inputs)
    elif not isinstance(n_inputs, SearchStrategy):
        raise TypeError(f"expressions: n_inputs must be an int or a strategy, got {type(n_inputs).__name__}")
    if isinstance(max_ops, bool) or not isinstance(max_ops, int) or max_ops < 1:
        raise ValueError(f"expressions: max_ops must be an int ≥ 1, got {max_ops!r}")
    inputs = inputs if inputs is not None else _default_inputs()
    return _expressions(n_inputs, max_ops, pool, required, inputs)


def values(op: OpLike | None = None, domain: DomainSpec = None) -> SearchStrategy[float | tuple[float, ...]]:
    """Finite floats where `op` is smooth and bounded: a float for a one-argument op, else a tuple.

    `op` is a built-in name ("log", "/", …), a built-in or user op, or `(op, domain)`; with no
    op, any usual input. The same safety rules as `expressions` apply, at the drawn point.
    """
    if op is None:
        return _default_inputs()
    if isinstance(op, tuple):
        op, domain = op
    spec = spec_for(op, domain)
    if spec.arity is None:
        raise ValueError(f"values: {spec.name} takes any number of operands, each anywhere; use values()")
    points = _safe_points(spec)
    return points.map(lambda xs: xs[0]) if spec.arity == 1 else points


def _safe_points(spec: OpSpec) -> SearchStrategy[tuple[float, ...]]:
    """Argument tuples, drawn inside each argument's domain, at which `spec` is safe."""
    points = st.tuples(*(st.floats(*spec.domain(i).sampling_range()) for i in range(_n_args(spec))))
    return points.filter(lambda xs: ExpressionBuilder(xs).try_apply(spec, range(len(xs))))


# -- drawing -------------------------------------------------------------------------------------


def _default_inputs() -> SearchStrategy[float]:
    """Floats in [-3, 3] that shrink towards 1.0: at 0 many derivatives vanish and hide a bug."""
    return st.floats(1.0 - INPUT_RADIUS, 1.0 + INPUT_RADIUS).map(lambda t: 1.0 - t)


@st.composite
def _expressions(
    draw: st.DrawFn,
    n_inputs: SearchStrategy[int],
    max_ops: int,
    pool: Sequence[OpSpec],
    required: Sequence[OpSpec],
    inputs: SearchStrategy[float],
) -> Expression:
    n = draw(n_inputs)
    if n < 1:
        raise ValueError(f"expressions: n_inputs drew {n}, need ≥ 1")
    point = [draw(inputs) for _ in range(n)]
    # The steps are drawn as a list so that shrinking can delete them, and the simplest step
    # (where the shrinker sends a step it cannot delete) is no step at all; a formula left with
    # no op then gets one, the first of the pool that fits (so it shrinks to `x0 + 2.0`).
    steps = draw(st.lists(_steps(pool), min_size=1, max_size=max_ops))
    first_choice = draw(st.integers(0, len(pool) - 1))  # the op tried first if none was placed
    builder = _grow(point, steps, required)
    missing = _missing(builder, required)
    for spec in missing:  # at this point it fits nowhere: draw its arguments from its domain
        xs = draw(_safe_points(spec))
        point[: len(xs)] = xs[: len(point)]
    if missing:
        builder = _grow(point, steps, required)
        assume(not _missing(builder, required))  # only when several ops in `ops` exclude each other
    if not builder.steps:
        for spec in pool[first_choice:] + pool[:first_choice]:
            if _place(builder, spec):
                break
    return builder.build()


def _grow(point: list[float], steps: list[Step], required: Sequence[OpSpec]) -> ExpressionBuilder:
    """The drawn steps applied at `point`, then each required op not yet in the formula placed on top."""
    builder = ExpressionBuilder(point)
    for spec, args in steps:
        if spec is None:
            continue
        newest = builder.size - 1
        builder.try_apply(spec, [a if isinstance(a, Const) else newest - a % (newest + 1) for a in args])
    for spec in _missing(builder, required):
        _place(builder, spec)
    return builder


def _missing(builder: ExpressionBuilder, required: Sequence[OpSpec]) -> list[OpSpec]:
    """The required ops that the formula built so far does not contain."""
    present = set(builder.build().op_names)
    return [spec for spec in required if spec.name not in present]


def _place(builder: ExpressionBuilder, spec: OpSpec) -> bool:
    """Apply `spec` as the formula's new last step, on its result if it can, else on an earlier node.

    The other operands are constants or the same node: `f(r)`, `r * 2.0`, `r + r`, `2.0 / r`.
    """
    n_args = _n_args(spec)
    for node in range(builder.size - 1, -1, -1):
        shapes: list[list[Const | int]] = [[node] * n_args]
        if n_args > 1:
            rest = n_args - 1
            shapes = [[node, *[Const(c)] * rest] for c in CONSTANTS] + shapes
            shapes += [[*[Const(c)] * rest, node] for c in CONSTANTS]
        if any(builder.try_apply(spec, args) for args in shapes):
            return True
    return False


def _n_args(spec: OpSpec) -> int:
    """How many operands a placed op takes: its arity, or two for sum and dot."""
    return spec.arity if spec.arity is not None else 2


#: How many points of an op's domain are tried before it is said to be safe nowhere.
PROBES = 256


def _check_placeable(spec: OpSpec) -> None:
    """ValueError naming the op and why, unless it is safe at some point of its domain."""
    ranges = [spec.domain(i).sampling_range() for i in range(_n_args(spec))]
    per_axis = max(2, round(PROBES ** (1 / len(ranges))))
    axes = [[lo + (hi - lo) * (k + 0.5) / per_axis for k in range(per_axis)] for lo, hi in ranges]
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for xs in itertools.product(*axes):
        if ExpressionBuilder(xs).try_apply(spec, range(len(xs))):
            return
        reason, detail = _refusal(spec, xs)
        counts[reason] += 1
        at = ", ".join(f"x{i}={x:.4g}" for i, x in enumerate(xs))
        first.setdefault(reason, f"{detail} at {at}" if detail else f"at {at}")
    tried = " × ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in ranges)
    domain = " × ".join(f"[{spec.domain(i).lo:g}, {spec.domain(i).hi:g}]" for i in range(len(ranges)))
    found = "; ".join(f"at {n} {reason} (e.g. {first[reason]})" for reason, n in counts.most_common())
    raise ValueError(
        f"expressions: op {spec.name!r} cannot take part in any formula: of {sum(counts.values())} "
        f"points tried in {tried} (its domain: {domain}), none is safe: {found}; "
        "check the domain given with the op"
    )


def _refusal(spec: OpSpec, xs: tuple[float, ...]) -> tuple[str, str]:
    """Why `spec` is not safe at `xs`: (the reason, a detail), as ExpressionBuilder.try_apply checks."""
    if not all(spec.domain(i).admits(x) for i, x in enumerate(xs)):
        return "it is too close to a kink", ""
    if spec.where is not None and not spec.where(*xs):
        return "the domain's predicate is false", ""
    leaves = [Value(x) for x in xs]
    try:
        out = spec.apply(*leaves)
    except Exception as e:
        return f"it raises {type(e).__name__}", str(e)
    value = out.data if isinstance(out, Value) else out
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "its value is not a finite number", repr(value)
    if abs(value) > VALUE_BOUND:
        return f"its value is beyond the bound |v| ≤ {VALUE_BOUND:g}", f"{value:.4g}"
    try:
        out.backward()
    except Exception as e:
        return f"its derivative raises {type(e).__name__}", str(e)
    slope = sum(abs(leaf.grad) for leaf in leaves)
    if not math.isfinite(slope) or slope > GRAD_BOUND:
        return f"its derivative is beyond the bound Σ|∂v/∂x| ≤ {GRAD_BOUND:g}", f"{slope:.4g}"
    return "it is too close to a kink or an edge for its slope", ""


@st.composite
def _steps(draw: st.DrawFn, pool: Sequence[OpSpec]) -> Step:
    """An op (None: skip) and its operands: constants, or how far back from the newest node."""
    spec = draw(st.sampled_from([None, *pool]))
    if spec is None:
        return None, []
    n_args = _draw_arity(draw, spec)
    args: list[Const | int] = []
    for i in range(n_args):
        all_constant = all(isinstance(a, Const) for a in args)
        if n_args > 1 and not (i == n_args - 1 and all_constant) and draw(st.booleans()):
            args.append(Const(draw(st.sampled_from(CONSTANTS))))
        else:  # mostly the newest node, so that formulas nest and shrink to chains
            args.append(draw(st.integers(1, 8)) if draw(st.booleans()) else 0)
    return spec, args


def _draw_arity(draw: st.DrawFn, spec: OpSpec) -> int:
    if spec.arity is not None:
        return spec.arity
    if spec.name == "dot":
        return 2 * draw(st.integers(1, 2))
    return draw(st.integers(2, 3))


def _pool(ops: Iterable[OpLike], builtins: bool | Iterable[str]) -> tuple[list[OpSpec], list[OpSpec]]:
    """(every op a formula may use, the ops given in `ops`, each of which every formula uses)."""
    if builtins is True:
        pool = list(BUILTIN_SPECS.values())
    elif builtins is False:
        pool = []
    elif isinstance(builtins, str):
        raise TypeError(f"expressions: builtins must be True, False or a list of names, got {builtins!r}")
    else:
        pool = [spec_for(name) for name in builtins]
    required: dict[str, OpSpec] = {}
    for entry in ops:
        spec = spec_for(*entry) if isinstance(entry, tuple) else spec_for(entry)
        required.setdefault(spec.name, spec)
        pool.append(spec)
    if not pool:
        raise ValueError("expressions: no ops to draw from (builtins=False and no ops given)")
    return pool, list(required.values())
