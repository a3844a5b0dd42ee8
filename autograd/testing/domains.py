"""Where an op can be tested by finite differences: its arguments' domains, kinks and bounds.

A point is safe for an op when every argument lies inside its interval and away from its kinks
by a margin that grows with how fast the argument moves with the inputs, so that perturbing the
inputs by up to SAFE_STEP never crosses an edge or a kink.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from autograd.domain import ANYWHERE, GAP, INPUT_RADIUS, Domain

#: Inputs may move this far (e.g. gradcheck's eps) without an argument crossing a kink or an edge.
SAFE_STEP = 1e-4
#: Every intermediate value v keeps |v| ≤ VALUE_BOUND, so round-off in differences stays small.
VALUE_BOUND = 100.0
#: Every intermediate value v keeps Σ_k |∂v/∂x_k| ≤ GRAD_BOUND (first-order bound, see margin()).
GRAD_BOUND = 100.0

Predicate = Callable[..., bool]


def margin(sensitivity: float) -> float:
    """How far an argument keeps from kinks and edges when Σ_k |∂arg/∂x_k| = sensitivity.

    Moving every input by at most SAFE_STEP moves the argument by about sensitivity·SAFE_STEP.
    """
    return max(GAP, sensitivity * SAFE_STEP)


DomainSpec = Domain | tuple | list | Predicate | None


def as_domains(name: str, arity: int | None, spec: DomainSpec) -> tuple[tuple[Domain, ...], Predicate | None]:
    """A user's domain for op `name` as (one Domain per argument, an optional predicate).

    Accepted: None (anywhere), a Domain (for every argument), a `(lo, hi)` pair (likewise), a
    sequence with one Domain or `(lo, hi)` per argument, or a predicate `(x0, …) -> bool`.
    """
    n = arity or 1
    if spec is None:
        return (ANYWHERE,) * n, None
    if isinstance(spec, Domain):
        return (spec,) * n, None
    if _is_interval(spec):
        return (_interval(name, spec),) * n, None
    if isinstance(spec, (tuple, list)) and arity is not None and len(spec) == arity:
        per_argument = []
        for i, d in enumerate(spec):
            if isinstance(d, Domain):
                per_argument.append(d)
            elif _is_interval(d):
                per_argument.append(_interval(name, d))
            elif d is None:
                per_argument.append(ANYWHERE)
            else:
                raise TypeError(
                    f"op {name!r}: domain of argument {i} must be a Domain or (lo, hi), got {d!r}"
                )
        return tuple(per_argument), None
    if callable(spec):
        return (ANYWHERE,) * n, spec
    raise TypeError(
        f"op {name!r}: a domain is a Domain, a (lo, hi) pair, one of those per argument "
        f"({arity} here) or a predicate, got {spec!r}"
    )


def _is_interval(spec: object) -> bool:
    return (
        isinstance(spec, (tuple, list))
        and len(spec) == 2
        and all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in spec)
    )


def _interval(name: str, pair: tuple | list) -> Domain:
    try:
        return Domain(pair[0], pair[1])
    except ValueError as e:
        raise ValueError(f"op {name!r}: {e}") from None


__all__ = [
    "ANYWHERE",
    "GAP",
    "GRAD_BOUND",
    "INPUT_RADIUS",
    "SAFE_STEP",
    "VALUE_BOUND",
    "Domain",
    "as_domains",
    "margin",
]
