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

from collections.abc import Iterable, Sequence

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from autograd.op import Op
from autograd.testing.domains import INPUT_RADIUS, Domain, DomainSpec
from autograd.testing.expression import BUILTIN_SPECS, Const, Expression, ExpressionBuilder, OpSpec, spec_for

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
    """
    pool = _pool(ops, builtins)
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
    return _expressions(n_inputs, max_ops, pool, inputs if inputs is not None else _default_inputs())


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
    points = st.tuples(*(st.floats(*spec.domain(i).sampling_range()) for i in range(spec.arity)))
    points = points.filter(lambda xs: ExpressionBuilder(xs).try_apply(spec, range(len(xs))))
    return points.map(lambda xs: xs[0]) if spec.arity == 1 else points


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
    inputs: SearchStrategy[float],
) -> Expression:
    n = draw(n_inputs)
    if n < 1:
        raise ValueError(f"expressions: n_inputs drew {n}, need ≥ 1")
    builder = ExpressionBuilder([draw(inputs) for _ in range(n)])
    # The steps are drawn as a list so that shrinking can delete them, and the simplest step
    # (where the shrinker sends a step it cannot delete) is no step at all.
    for spec, args in draw(st.lists(_steps(pool), min_size=1, max_size=max_ops)):
        if spec is None:
            continue
        newest = builder.size - 1
        builder.try_apply(spec, [a if isinstance(a, Const) else newest - a % (newest + 1) for a in args])
    return builder.build()


@st.composite
def _steps(draw: st.DrawFn, pool: Sequence[OpSpec]) -> tuple[OpSpec | None, list[Const | int]]:
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


def _pool(ops: Iterable[OpLike], builtins: bool | Iterable[str]) -> list[OpSpec]:
    if builtins is True:
        pool = list(BUILTIN_SPECS.values())
    elif builtins is False:
        pool = []
    elif isinstance(builtins, str):
        raise TypeError(f"expressions: builtins must be True, False or a list of names, got {builtins!r}")
    else:
        pool = [spec_for(name) for name in builtins]
    for entry in ops:
        pool.append(spec_for(*entry) if isinstance(entry, tuple) else spec_for(entry))
    if not pool:
        raise ValueError("expressions: no ops to draw from (builtins=False and no ops given)")
    return pool
