"""Tools for testing derivatives: `gradcheck`, `gradgradcheck`, and hypothesis strategies.

The strategies live in `autograd.testing.strategies`, imported on its own because it needs
hypothesis, which the engine does not.
"""

from autograd.testing.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
