"""Stepping through backward: `Stepper(root)` and its self-contained HTML player."""

from autograd.stepper.steps import Contribution, Step, Stepper

__all__ = ["Contribution", "Step", "Stepper"]
