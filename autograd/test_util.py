"""HIPS autograd's `check_grads`, for test suites written against it: `check_grads(f)(*args)`.

It checks reverse-mode derivatives of f at args against central differences, to first order or
(`order=2`) second, with `autograd.testing.gradcheck` and `gradgradcheck`, and raises their
`GradcheckError` (an AssertionError) naming the place and both numbers. gradwalk has reverse mode
only, so `modes` may ask for "rev" and "fwd" alike: both are checked in reverse mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd.testing import gradcheck, gradgradcheck


def check_grads(
    f: Callable[..., object], modes: Sequence[str] = ("fwd", "rev"), order: int = 2
) -> Callable[..., None]:
    """A function of f's arguments that checks f's derivatives there up to `order` (1 or 2)."""
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: modes are 'fwd' and 'rev', got {sorted(unknown)}")
    if order not in (1, 2):
        raise ValueError(f"check_grads: order must be 1 or 2, got {order!r}")

    def check(*args: float) -> None:
        gradcheck(f, list(args))
        if order == 2:
            gradgradcheck(f, list(args))

    return check


__all__ = ["check_grads"]
