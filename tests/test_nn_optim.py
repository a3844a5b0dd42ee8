"""Optimisers against their update rules written out independently, on f(θ) = (θ − 3)²."""

from __future__ import annotations

import math

import pytest

import nn
from autograd import Value


def quadratic_steps(opt_factory, theta0: float, steps: int, lr_schedule=None) -> list[float]:
    """θ after each step of the optimiser on f(θ) = (θ − 3)², using gradwalk's backward."""
    theta = Value(theta0)
    opt = opt_factory([theta])
    trajectory = []
    for k in range(steps):
        if lr_schedule is not None:
            opt.lr = lr_schedule(k)
        opt.zero_grad()
        ((theta - 3.0) ** 2).backward()
        opt.step()
        trajectory.append(theta.data)
    return trajectory


def grad(theta: float) -> float:
    return 2 * (theta - 3.0)


def test_sgd_plain_with_an_lr_changed_between_steps():
    schedule = [0.1, 0.05, 0.2, 0.01]
    got = quadratic_steps(lambda ps: nn.optim.SGD(ps, lr=1.0), 0.0, 4, lambda k: schedule[k])
    theta, want = 0.0, []
    for lr in schedule:
        theta = theta - lr * grad(theta)
        want.append(theta)
    assert got == pytest.approx(want, rel=1e-15)


def test_sgd_momentum_and_weight_decay():
    got = quadratic_steps(lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.1), 0.5, 6)
    theta, buf, want = 0.5, None, []
    for _ in range(6):
        g = grad(theta) + 0.1 * theta
        buf = g if buf is None else 0.9 * buf + g
        theta -= 0.05 * buf
        want.append(theta)
    assert got == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_matches_the_documented_algorithm(weight_decay):
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    got = quadratic_steps(lambda ps: nn.optim.Adam(ps, lr=lr, weight_decay=weight_decay), 0.0, 5)
    theta, m, v, want = 0.0, 0.0, 0.0, []
    for t in range(1, 6):
        g = grad(theta) + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta -= lr * m_hat / (math.sqrt(v_hat) + eps)
        want.append(theta)
    assert got == pytest.approx(want, rel=1e-12)
    # Adam's first step moves by lr·sign(g) whatever the gradient's size.
    assert got[0] == pytest.approx(0.1, rel=1e-6)


def test_adam_and_rmsprop_defaults_are_pytorchs():
    p = [Value(1.0)]
    adam = nn.optim.Adam(p)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)
    rms = nn.optim.RMSprop(p)
    assert (rms.lr, rms.alpha, rms.eps, rms.momentum) == (1e-2, 0.99, 1e-8, 0.0)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_matches_the_documented_algorithm(momentum):
    lr, alpha, eps = 0.01, 0.99, 1e-8
    got = quadratic_steps(lambda ps: nn.optim.RMSprop(ps, lr=lr, momentum=momentum), 0.0, 5)
    theta, v, b, want = 0.0, 0.0, 0.0, []
    for _ in range(5):
        g = grad(theta)
        v = alpha * v + (1 - alpha) * g**2
        if momentum:
            b = momentum * b + g / (math.sqrt(v) + eps)
            theta -= lr * b
        else:
            theta -= lr * g / (math.sqrt(v) + eps)
        want.append(theta)
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "factory",
    [lambda ps: nn.optim.SGD(ps, lr=0.1), nn.optim.Adam, lambda ps: nn.optim.RMSprop(ps, momentum=0.9)],
)
def test_step_records_no_graph_and_zero_grad_clears(factory):
    params = [Value(1.0), Value(-2.0)]
    opt = factory(params)
    (params[0] * params[1]).backward()
    opt.step()
    assert all(p.is_leaf for p in params)
    assert params[0].data != 1.0 and params[1].data != -2.0
    opt.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_step_reads_grads_left_as_values_by_create_graph():
    x = Value(2.0)
    (x * x * x).backward(create_graph=True)  # x.grad is the Value 3x² = 12
    nn.optim.SGD([x], lr=0.01).step()
    assert x.data == pytest.approx(2.0 - 0.12)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nn.optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda: nn.optim.SGD([1.0], lr=0.1), "not a Value"),
        (lambda: nn.optim.SGD([Value(1.0)], lr=-1), "lr must be a number ≥ 0"),
        (lambda: nn.optim.Adam([Value(1.0)], betas=(1.0, 0.9)), r"betas\[0\] must be in \[0, 1\)"),
        (lambda: nn.optim.RMSprop([Value(1.0)], alpha=2.0), r"alpha must be in \[0, 1\]"),
    ],
)
def test_bad_arguments_are_refused(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_a_parameter_given_twice_is_refused():
    p = Value(1.0)
    with pytest.raises(ValueError, match="parameter 1 appears twice"):
        nn.optim.SGD([p, p], lr=0.1)


def test_adam_trains_a_small_mlp_on_xor():
    model = nn.MLP(2, [8, 1], activation="tanh", rng=3)
    X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.data < 0.05
    assert [model(x).data > 0 for x in X] == [False, True, True, False]


def test_the_model_itself_instead_of_its_parameters_gets_a_hint():
    model = nn.MLP(2, [3, 1], rng=0)
    with pytest.raises(TypeError, match=r"did you mean SGD\(model\.parameters\(\), …\)\?"):
        nn.optim.SGD(model, lr=0.1)
    with pytest.raises(TypeError, match=r"did you mean Adam\(model\.parameters\(\)"):
        nn.optim.Adam(model)
    with pytest.raises(TypeError, match=r"got one Value; pass a list of parameters, e.g. SGD\(\[w\], …\)"):
        nn.optim.SGD(Value(1.0), lr=0.1)
