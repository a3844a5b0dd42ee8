"""The demos behind `gradwalk demo`: an MLP on two moons, and a one-weight linear fit."""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import autograd
from autograd import Value
from nn import optim
from nn.data import make_moons
from nn.layers import MLP
from nn.losses import hinge_loss, mse_loss

#: Learning rates the moons demo starts from; each decays linearly to a tenth of it.
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05, "rmsprop": 0.01}
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "rmsprop": optim.RMSprop}


@dataclass
class Training:
    """What a training run did: the loss and accuracy at each step, and why it stopped."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    steps: int = 0
    converged: bool = False
    seconds: float = 0.0

    def stop_reason(self, tol: float) -> str:
        return f"converged: |Δloss| < {tol:g}" if self.converged else "max steps reached"


def moons_objective(model: MLP, X: Sequence[Sequence[float]], labels: Sequence[int], alpha: float = 1e-4):
    """(loss, accuracy): mean hinge loss of the scores against ±1 labels plus alpha·Σp², and the
    fraction of points whose score has the sign of their label."""
    scores = [model(x) for x in X]
    params = model.parameters()
    loss = hinge_loss(scores, labels) + alpha * autograd.dot(params, params)
    accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)
    return loss, accuracy


def train(
    objective: Callable[[], tuple[Value, float]],
    opt: optim.Optimizer,
    max_steps: int,
    tol: float,
    lr_at: Callable[[int], float] | None = None,
    on_step: Callable[[int, float, float], None] | None = None,
) -> Training:
    """Full-batch training: forward, zero_grad, backward, step, until |Δloss| < tol or max_steps.

    The returned record ends with the loss and accuracy of the final parameters.
    """
    run = Training()
    start = time.perf_counter()
    previous = math.inf
    for k in range(max_steps + 1):
        loss, accuracy = objective()
        run.losses.append(loss.data)
        run.accuracies.append(accuracy)
        if on_step is not None:
            on_step(k, loss.data, accuracy)
        if abs(previous - loss.data) < tol:
            run.converged = True
            break
        if k == max_steps:
            break
        previous = loss.data
        if lr_at is not None:
            opt.lr = lr_at(k)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.steps += 1
    run.seconds = time.perf_counter() - start
    return run


def run_moons(
    out: str | os.PathLike[str] = "gradwalk-demo",
    *,
    steps: int = 100,
    seed: int = 1,
    hidden: Sequence[int] = (16, 16),
    optimizer: str = "sgd",
    lr: float | None = None,
    tol: float = 1e-7,
    progress: bool = True,
    write: Callable[[str], None] = print,
) -> Training:
    """Train MLP(2, [*hidden, 1]) on 100 noisy moons and write plots and the model to `out`."""
    from tqdm import tqdm

    from nn.plots import save_decision_boundary, save_loss_curve

    rng = random.Random(seed)
    X, y = make_moons(100, noise=0.1, seed=rng)
    labels = [2 * t - 1 for t in y]
    model = MLP(2, [*hidden, 1], rng=rng)
    lr0 = DEFAULT_LR[optimizer] if lr is None else lr
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr0)
    bar = tqdm(total=steps, desc="moons", unit="step", disable=not progress, leave=False)

    def on_step(k: int, loss: float, accuracy: float) -> None:
        bar.set_postfix(loss=f"{loss:.4f}", acc=f"{accuracy:.0%}", refresh=False)
        if k:
            bar.update(1)

    run = train(
        lambda: moons_objective(model, X, labels),
        opt,
        steps,
        tol,
        lr_at=lambda k: lr0 * (1.0 - 0.9 * k / steps),
        on_step=on_step,
    )
    bar.close()
    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, name) for name in ("decision_boundary.png", "loss_curve.png", "model.json")]
    save_decision_boundary(model, X, y, paths[0])
    save_loss_curve(run.losses, run.accuracies, paths[1])
    model.save(paths[2])
    write(
        f"moons: {run.accuracies[-1]:.0%} training accuracy, loss {run.losses[-1]:.4f}, after {run.steps} "
        f"{optimizer} steps ({run.stop_reason(tol)}) in {run.seconds:.1f} s; wrote {', '.join(paths)}"
    )
    return run


def run_linear(
    *,
    epochs: int = 100,
    seed: int = 0,
    lr: float = 0.1,
    tol: float = 1e-6,
    write: Callable[[str], None] = print,
) -> tuple[float, Training]:
    """Fit y = w·x to y = 2x + N(0, 0.5) on 100 points in [−1, 1] by full-batch SGD on the MSE."""
    rng = random.Random(seed)
    xs = [-1.0 + 2.0 * i / 99 for i in range(100)]
    ys = [2.0 * x + rng.gauss(0.0, 0.5) for x in xs]
    w = Value(0.0, label="w")
    opt = optim.SGD([w], lr=lr)

    def objective() -> tuple[Value, float]:
        return mse_loss([w * x for x in xs], ys), 0.0

    def on_step(k: int, loss: float, _: float) -> None:
        write(f"epoch {k:3d}  loss {loss:.6f}  w {w.data:.6f}")

    run = train(objective, opt, epochs, tol, on_step=on_step)
    best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
    write(
        f"linear: w = {w.data:.4f} (data generated with 2, least squares gives {best:.4f}) after {run.steps} "
        f"epochs ({run.stop_reason(tol)}), final loss {run.losses[-1]:.6f}"
    )
    return w.data, run
