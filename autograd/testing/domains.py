"""Where an op can be tested by finite differences: its arguments' domains, kinks and bounds.

A point is safe for an op when every argument lies inside its interval and away from its kinks
by a margin that grows with how fast the argument moves with the inputs, so that perturbing the
inputs by up to SAFE_STEP never crosses an edge or a kink.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

#: Least distance of an argument from a kink (relu, abs at 0) or a domain edge (log, sqrt at 0).
GAP = 1e-3
#: Inputs may move this far (e.g. gradcheck's eps) without an argument crossing a kink or an edge.
SAFE_STEP = 1e-4
#: Every intermediate value v keeps |v| ≤ VALUE_BOUND, so round-off in differences stays small.
VALUE_BOUND = 100.0
#: Every intermediate value v keeps Σ_k |∂v/∂x_k| ≤ GRAD_BOUND (first-order bound, see margin()).
GRAD_BOUND = 100.0
#: Drawn inputs lie in [-INPUT_RADIUS, INPUT_RADIUS] unless an op's domain lies elsewhere.
INPUT_RADIUS = 3.0

Predicate = Callable[..., bool]


@dataclass(frozen=True)
class Domain:
    """One argument's safe region: inside [lo, hi], and away from each point of `kinks`.

    `Domain(lo=0)` suits log, `Domain(kinks=(0,))` suits relu, `Domain(-1, 1)` suits asin.
    Arguments keep at least GAP (1e-3) away from lo, hi and every kink.
    """

    lo: float = -math.inf
    hi: float = math.inf
    kinks: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for what, x in (("lo", self.lo), ("hi", self.hi)):
            if isinstance(x, bool) or not isinstance(x, numbers.Real) or math.isnan(x):
                raise TypeError(f"Domain: {what} must be a real number, got {x!r}")
        if not self.hi - self.lo > 2 * GAP:
            raise ValueError(
                f"Domain: need lo < hi with room for a margin of {GAP} inside, got [{self.lo}, {self.hi}]"
            )
        kinks = tuple(self.kinks)
        for k in kinks:
            if isinstance(k, bool) or not isinstance(k, numbers.Real) or not math.isfinite(k):
                raise TypeError(f"Domain: kinks must be finite real numbers, got {k!r}")
        object.__setattr__(self, "kinks", kinks)

    def admits(self, x: float, margin: float = GAP) -> bool:
        """True when x is at least `margin` inside [lo, hi] and at least `margin` from every kink."""
        return self.lo + margin <= x <= self.hi - margin and all(abs(x - k) >= margin for k in self.kinks)

    def sampling_range(self) -> tuple[float, float]:
        """Where to draw an argument: [lo, hi] cut to the usual inputs, or its nearest part."""
        lo, hi = self.lo + GAP, self.hi - GAP
        r = INPUT_RADIUS
        if lo <= r and hi >= -r:
            return max(lo, -r), min(hi, r)
        if lo > r:
            return lo, min(hi, lo + 2 * r)
        return max(lo, hi - 2 * r), hi


ANYWHERE = Domain()


def margin(sensitivity: float) -> float:
    """How far an argument keeps from kinks and edges when Σ_k |∂arg/∂x_k| = sensitivity.

    Moving every input by at most SAFE_STEP moves the argument by about sensitivity·SAFE_STEP.
    """
    return max(GAP, sensitivity * SAFE_STEP)


#: The built-in ops that are not smooth everywhere; every other built-in is, within the bounds.
BUILTIN_DOMAINS: dict[str, tuple[Domain, ...]] = {
    "/": (ANYWHERE, Domain(kinks=(0.0,))),  # the pole of 1/y
    "**": (Domain(lo=0.0), ANYWHERE),  # x ** y is real and smooth in y only for x > 0
    "abs": (Domain(kinks=(0.0,)),),
    "relu": (Domain(kinks=(0.0,)),),
    "log": (Domain(lo=0.0),),
    "sqrt": (Domain(lo=0.0),),
}


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
