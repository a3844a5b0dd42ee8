"""Losses against closed forms: values, gradients, and stability at extreme logits."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value


def values(xs):
    return [Value(x) for x in xs]


def test_mse_loss_value_and_gradient():
    preds = values([1.0, 2.0, 4.0])
    targets = [0.0, 2.5, 1.0]
    loss = nn.mse_loss(preds, targets)
    assert loss.data == pytest.approx((1 + 0.25 + 9) / 3)
    loss.backward()
    assert [p.grad for p in preds] == pytest.approx(
        [2 * (p - t) / 3 for p, t in zip([1.0, 2.0, 4.0], targets)]
    )


def test_hinge_loss_value_and_gradient():
    scores = values([2.0, 0.5, -0.25, -3.0])
    labels = [1, 1, 1, -1]
    loss = nn.hinge_loss(scores, labels)
    assert loss.data == pytest.approx((0 + 0.5 + 1.25 + 0) / 4)
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([0.0, -0.25, -0.25, 0.0])


def test_hinge_loss_refuses_zero_one_labels_with_a_hint():
    with pytest.raises(ValueError, match=r"-1 or \+1, got 0 at index 1.*2\*y - 1"):
        nn.hinge_loss(values([1.0, 2.0]), [1, 0])


def bce_closed_form(z: float, t: float) -> float:
    """−t·log σ(z) − (1 − t)·log(1 − σ(z)), evaluated with log σ(z) = −log(1 + e^−z) in its stable form."""
    log_sig = -(max(-z, 0.0) + math.log1p(math.exp(-abs(z))))
    log_one_minus_sig = -(max(z, 0.0) + math.log1p(math.exp(-abs(z))))
    return -t * log_sig - (1 - t) * log_one_minus_sig


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-30, 30), st.sampled_from([0.0, 1.0, 0.25])), min_size=1, max_size=5))
def test_bce_with_logits_matches_closed_form_and_gradient_is_sigmoid_minus_target(pairs):
    logits = values([z for z, _ in pairs])
    targets = [t for _, t in pairs]
    loss = nn.binary_cross_entropy_with_logits(logits, targets)
    n = len(pairs)
    assert loss.data == pytest.approx(sum(bce_closed_form(z, t) for z, t in pairs) / n, rel=1e-12, abs=1e-15)
    loss.backward()
    for v, (z, t) in zip(logits, pairs):
        assert v.grad == pytest.approx((1 / (1 + math.exp(-z)) - t) / n, rel=1e-9, abs=1e-15)


def test_bce_with_logits_is_finite_at_plus_minus_1000():
    logits = values([1000.0, -1000.0, 1000.0, -1000.0])
    loss = nn.binary_cross_entropy_with_logits(logits, [1, 0, 0, 1])
    assert loss.data == (0.0 + 0.0 + 1000.0 + 1000.0) / 4
    loss.backward()
    assert [v.grad for v in logits] == [0.0, 0.0, 0.25, -0.25]


def test_bce_gradient_at_zero_logit_is_one_half_minus_target():
    z = Value(0.0)
    nn.binary_cross_entropy_with_logits([z], [1]).backward()
    assert z.grad == -0.5


def softmax(row):
    m = max(row)
    e = [math.exp(x - m) for x in row]
    return [x / sum(e) for x in e]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda k: st.lists(
            st.tuples(st.lists(st.floats(-50, 50), min_size=k, max_size=k), st.integers(0, k - 1)),
            min_size=1,
            max_size=4,
        )
    )
)
def test_cross_entropy_gradient_is_softmax_minus_onehot(rows):
    logits = [values(row) for row, _ in rows]
    targets = [t for _, t in rows]
    loss = nn.cross_entropy(logits, targets)
    n = len(rows)
    expected = sum(-math.log(softmax(row)[t]) if softmax(row)[t] > 0 else math.inf for row, t in rows) / n
    if math.isfinite(expected):
        assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    loss.backward()
    for row_values, (row, t) in zip(logits, rows):
        p = softmax(row)
        want = [(p[j] - (j == t)) / n for j in range(len(row))]
        assert [v.grad for v in row_values] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_cross_entropy_is_finite_at_plus_minus_1000():
    row = values([1000.0, -1000.0])
    loss = nn.cross_entropy([row], [1])
    assert loss.data == 2000.0
    loss.backward()
    assert [v.grad for v in row] == [1.0, -1.0]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nn.mse_loss(values([1.0]), [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
        (lambda: nn.mse_loss([], []), ValueError, "empty batch"),
        (lambda: nn.mse_loss(values([1.0]), ["1"]), TypeError, "target 0 must be a number"),
        (lambda: nn.binary_cross_entropy_with_logits(values([1.0]), [2]), ValueError, r"\[0, 1\]"),
        (lambda: nn.binary_cross_entropy_with_logits(values([1.0]), [True]), TypeError, "bool"),
        (lambda: nn.cross_entropy([values([1.0, 2.0])], [2]), ValueError, r"class index in 0\.\.1, got 2"),
        (lambda: nn.cross_entropy([values([1.0, 2.0]), values([1.0])], [0, 0]), ValueError, "row 1 has 1"),
    ],
)
def test_bad_inputs_get_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("loss", [nn.mse_loss, nn.hinge_loss, nn.binary_cross_entropy_with_logits])
def test_one_sample_not_in_a_list_gets_told_to_wrap_it(loss):
    pred = nn.MLP(2, [3, 1], rng=0)([1.0, 2.0])
    hint = rf"for one sample, wrap it: {loss.__name__}\(\[prediction\], \[target\]\)"
    with pytest.raises(TypeError, match="pass lists.*" + hint):
        loss(pred, 1.0)
    with pytest.raises(TypeError, match="got float for the targets"):
        loss([pred], 1.0)
