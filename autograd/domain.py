"""`Domain`: where one argument of an op is defined and smooth, as an interval with kinks.

An op's record in the table gives one Domain per argument: `log` has `Domain(lo=0)`, `relu`
has `Domain(kinks=(0,))`, `asin` has `Domain(-1, 1)`. The hypothesis strategies draw points
inside the domains and away from the kinks; the edges themselves are the op's own business
(its forward raises outside, see `autograd.floats`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

#: Least distance of an argument from a kink (relu, abs at 0) or a domain edge (log, sqrt at 0).
GAP = 1e-3
#: Drawn inputs lie in [-INPUT_RADIUS, INPUT_RADIUS] unless an op's domain lies elsewhere.
INPUT_RADIUS = 3.0


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
        if isinstance(self.kinks, (str, bytes)) or not hasattr(self.kinks, "__iter__"):
            raise TypeError(
                f"Domain: kinks must be a sequence of numbers such as (0.0,), got {self.kinks!r}; "
                "use kinks=() for none"
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

    def __str__(self) -> str:
        inside = f"[{self.lo:g}, {self.hi:g}]"
        return inside + (f" except at {', '.join(f'{k:g}' for k in self.kinks)}" if self.kinks else "")


ANYWHERE = Domain()
