"""Loss functions: each takes lists (predictions, targets) and returns the mean loss as a Value.

The log-likelihood losses are written in forms that never overflow: binary cross-entropy uses
softplus, cross-entropy subtracts the row's largest logit before exponentiating, so logits of
±1000 give finite losses and exact gradients.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import autograd
from autograd import Value

Scalar = Value | float


def _softplus_forward(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^−|x|), which never overflows."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


#: softplus(x) = log(1 + e^x); d/dx = σ(x). One node, so the derivative is exact at x = 0 too.
softplus = autograd.op("softplus", _softplus_forward, lambda x: autograd.sigmoid(x))


def mse_loss(preds: Sequence[Scalar], targets: Sequence[float]) -> Value:
    """mean((pred − target)²)."""
    _check_lengths("mse_loss", preds, targets)
    for i, t in enumerate(targets):
        _check_number("mse_loss", "target", i, t)
    diffs = [p - t for p, t in zip(preds, targets)]
    return autograd.dot(diffs, diffs) / len(diffs)


def hinge_loss(scores: Sequence[Scalar], labels: Sequence[float]) -> Value:
    """mean(relu(1 − label·score)) for labels ±1 (the SVM loss)."""
    _check_lengths("hinge_loss", scores, labels)
    for i, y in enumerate(labels):
        _check_number("hinge_loss", "label", i, y)
        if y not in (1, -1):
            raise ValueError(
                f"hinge_loss: labels must be -1 or +1, got {y!r} at index {i} (for 0/1 labels pass 2*y - 1)"
            )
    margins = [autograd.relu(1.0 - s * y) for s, y in zip(scores, labels)]
    return autograd.sum(margins) / len(margins)


def binary_cross_entropy_with_logits(logits: Sequence[Scalar], targets: Sequence[float]) -> Value:
    """mean(−t·log σ(z) − (1 − t)·log(1 − σ(z))) = mean(t·softplus(−z) + (1 − t)·softplus(z)), t in [0, 1].

    Written as a sum of two non-negative terms (rather than softplus(z) − z·t), so nothing cancels:
    a confident right answer gets a small loss with all its digits, and ∂/∂z = σ(z) − t.
    """
    _check_lengths("binary_cross_entropy_with_logits", logits, targets)
    for i, t in enumerate(targets):
        _check_number("binary_cross_entropy_with_logits", "target", i, t)
        if not 0 <= t <= 1:
            raise ValueError(
                f"binary_cross_entropy_with_logits: targets must be in [0, 1], got {t!r} at index {i}"
            )
    terms = [_bce_term(z, t) for z, t in zip(logits, targets)]
    return autograd.sum(terms) / len(terms)


def cross_entropy(logits: Sequence[Sequence[Scalar]], targets: Sequence[int]) -> Value:
    """mean(log Σ_j e^z_j − z_target) over rows of logits; ∂/∂z_j = softmax_j − [j = target]."""
    _check_lengths("cross_entropy", logits, targets)
    classes = len(logits[0])
    terms = []
    for i, (row, t) in enumerate(zip(logits, targets)):
        if len(row) != classes or classes == 0:
            raise ValueError(
                f"cross_entropy: every row needs the same, non-zero number of logits; "
                f"row 0 has {classes}, row {i} has {len(row)}"
            )
        if type(t) is not int or not 0 <= t < classes:
            raise ValueError(
                f"cross_entropy: target {i} must be a class index in 0..{classes - 1}, got {t!r}"
            )
        terms.append(_log_sum_exp(row) - row[t])
    return autograd.sum(terms) / len(terms)


def _bce_term(z: Scalar, t: float) -> Value:
    """t·softplus(−z) + (1 − t)·softplus(z), leaving out a term whose weight is 0 (hard labels)."""
    if t == 1:
        return softplus(-z)
    if t == 0:
        return softplus(z)
    return t * softplus(-z) + (1 - t) * softplus(z)


def _log_sum_exp(row: Sequence[Scalar]) -> Value:
    """log Σ e^z = m + log Σ e^(z − m) with m = max z, taken as a constant: no term exceeds e^0."""
    m = max(z.data if isinstance(z, Value) else float(z) for z in row)
    return autograd.log(autograd.sum([autograd.exp(z - m) for z in row])) + m


def _check_lengths(name: str, preds: Sequence[object], targets: Sequence[object]) -> None:
    for what, arg in (("predictions", preds), ("targets", targets)):
        if not hasattr(arg, "__len__") or isinstance(arg, str):  # a Value or a number: one sample
            raise TypeError(
                f"{name}: pass lists of predictions and targets, got {type(arg).__name__} for the {what}; "
                f"for one sample, wrap it: {name}([prediction], [target])"
            )
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{name}: empty batch (the mean of no losses is undefined)")


def _check_number(name: str, what: str, i: int, x: object) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: {what} {i} must be a number, got {type(x).__name__} {x!r}")
