"""The demos behind `gradwalk demo`: an MLP on two moons, and a one-weight linear fit."""

from __future__ import annotations

import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import autograd
from autograd import Value, no_grad
from nn import optim
from nn.data import make_moons
from nn.layers import MLP
from nn.losses import hinge_loss, mse_loss

#: Learning rates the moons demo starts from; each decays linearly to a tenth of it.
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05, "rmsprop": 0.01}
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "rmsprop": optim.RMSprop}
#: How the moons demo computes each step: `eager` builds the graph and calls backward();
#: `compiled` runs the whole loss through `autograd.compile`; `batched` compiles one point's
#: loss and evaluates it over all points at once with `step.map`.
ENGINES = ("eager", "compiled", "batched")

#: A training step's work: the loss at the current parameters, with their gradients added to
#: `.grad`, and the training accuracy when it is known without extra work (else None).
LossAndGrads = Callable[[], tuple[float, float | None]]


class DemoError(Exception):
    """A demo that cannot run or finish, with the reason in one line."""


@dataclass
class Training:
    """What a training run did: the loss and accuracy at each step, and why it stopped."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float | None] = field(default_factory=list)
    steps: int = 0
    converged: bool = False
    diverged: bool = False
    seconds: float = 0.0

    def stop_reason(self, tol: float) -> str:
        if self.diverged:
            return f"diverged: loss {self.losses[-1]}"
        return f"converged: |Δloss| < {tol:g}" if self.converged else "max steps reached"


def moons_loss(model: MLP, X: Sequence[Sequence[float]], labels: Sequence[int], alpha: float = 1e-4) -> Value:
    """mean(relu(1 − label·score)) over the points, plus alpha·Σp² (it reads no data, so it compiles)."""
    return _loss_of([model(x) for x in X], model, labels, alpha)


def moons_objective(model: MLP, X: Sequence[Sequence[float]], labels: Sequence[int], alpha: float = 1e-4):
    """(loss, accuracy): `moons_loss` as a Value, and the fraction of points whose score has the
    sign of their label."""
    scores = [model(x) for x in X]
    return _loss_of(scores, model, labels, alpha), accuracy(scores, labels)


def _loss_of(scores: Sequence[Value], model: MLP, labels: Sequence[int], alpha: float) -> Value:
    params = model.parameters()
    return hinge_loss(scores, labels) + alpha * autograd.dot(params, params)


def accuracy(scores: Sequence[Value], labels: Sequence[int]) -> float:
    """The fraction of scores whose sign is their ±1 label's."""
    return sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)


def eager(objective: Callable[[], tuple[Value, float | None]]) -> LossAndGrads:
    """A training step from an objective that builds the graph: forward, then `backward()`."""

    def loss_and_grads() -> tuple[float, float | None]:
        loss, acc = objective()
        loss.backward()
        return loss.data, acc

    return loss_and_grads


def moons_step(
    model: MLP, X: Sequence[Sequence[float]], labels: Sequence[int], engine: str, alpha: float = 1e-4
) -> LossAndGrads:
    """The moons demo's training step on the chosen engine (see `ENGINES`)."""
    if engine == "eager":
        return eager(lambda: moons_objective(model, X, labels, alpha))
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    compile_ = getattr(autograd, "compile", None)
    if compile_ is None:
        raise DemoError(f"--engine {engine} needs autograd.compile, missing here; use --engine eager")
    if engine == "compiled":
        step = compile_(lambda: moons_loss(model, X, labels, alpha))
        return lambda: (step(), None)
    params = model.parameters()
    point = compile_(lambda x0, x1, label: autograd.relu(1.0 - label * model([x0, x1])))
    penalty = compile_(lambda: alpha * autograd.dot(params, params))
    columns = ([x[0] for x in X], [x[1] for x in X], [float(t) for t in labels])
    return lambda: (point.map(*columns, reduce="mean") + penalty(), None)


def train(
    loss_and_grads: LossAndGrads,
    opt: optim.Optimizer,
    max_steps: int,
    tol: float,
    lr_at: Callable[[int], float] | None = None,
    on_step: Callable[[int, float, float | None], None] | None = None,
) -> Training:
    """Full-batch training: zero_grad, loss and gradients, step, until |Δloss| < tol, the loss is
    no longer finite, or max_steps.

    The returned record ends with the loss and accuracy of the final parameters.
    """
    run = Training()
    start = time.perf_counter()
    previous = math.inf
    for k in range(max_steps + 1):
        opt.zero_grad()
        loss, acc = loss_and_grads()
        run.losses.append(loss)
        run.accuracies.append(acc)
        if on_step is not None:
            on_step(k, loss, acc)
        if not math.isfinite(loss):
            run.diverged = True
            break
        if abs(previous - loss) < tol:
            run.converged = True
            break
        if k == max_steps:
            break
        previous = loss
        if lr_at is not None:
            opt.lr = lr_at(k)
        opt.step()
        run.steps += 1
    run.seconds = time.perf_counter() - start
    return run


def prepare_out_dir(out: str | os.PathLike[str]) -> str:
    """Create `out` if needed and make sure files can be written there, before any training.

    Raises DemoError naming the problem: a file in the way, a directory that cannot be written,
    or a place under /proc (the kernel's view of processes, which holds no user files).
    """
    path = os.fspath(out)
    real = os.path.realpath(path)
    if real == "/proc" or real.startswith("/proc/"):
        raise DemoError(f"--out {path} is under /proc, which holds no files; choose another directory")
    if os.path.exists(path) and not os.path.isdir(path):
        raise DemoError(f"--out {path} is a file, not a directory")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):  # the one sure test of writability, for root too
            pass
    except OSError as e:
        raise DemoError(f"--out {path}: cannot write there ({e.strerror or e})") from None
    return path


def run_moons(
    out: str | os.PathLike[str] = "gradwalk-demo",
    *,
    steps: int = 100,
    seed: int = 1,
    hidden: Sequence[int] = (16, 16),
    optimizer: str = "sgd",
    lr: float | None = None,
    tol: float = 1e-7,
    engine: str = "eager",
    progress: bool = True,
    write: Callable[[str], None] = print,
) -> Training:
    """Train MLP(2, [*hidden, 1]) on 100 noisy moons and write plots and the model to `out`."""
    from tqdm import tqdm

    from nn.plots import save_decision_boundary, save_loss_curve

    out = prepare_out_dir(out)
    rng = random.Random(seed)
    X, y = make_moons(100, noise=0.1, seed=rng)
    labels = [2 * t - 1 for t in y]
    model = MLP(2, [*hidden, 1], rng=rng)
    lr0 = DEFAULT_LR[optimizer] if lr is None else lr
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr0)
    step = moons_step(model, X, labels, engine)
    bar = tqdm(total=steps, desc="moons", unit="step", disable=not progress, leave=False, ncols=_columns())

    def on_step(k: int, loss: float, acc: float | None) -> None:
        postfix = {"loss": f"{loss:.4f}"} if acc is None else {"loss": f"{loss:.4f}", "acc": f"{acc:.0%}"}
        bar.set_postfix(postfix, refresh=False)
        if k:
            bar.update(1)

    run = train(step, opt, steps, tol, lr_at=lambda k: lr0 * (1.0 - 0.9 * k / steps), on_step=on_step)
    bar.close()
    if run.diverged:
        raise DemoError(
            f"training diverged at step {run.steps} (loss {run.losses[-1]}); "
            f"nothing written; try an --lr below {lr0:g}"
        )
    if run.accuracies[-1] is None:  # the compiled engines report the loss only
        with no_grad():
            run.accuracies[-1] = accuracy([model(x) for x in X], labels)
    names = ("decision_boundary.png", "loss_curve.png", "model.json")
    paths = [os.path.join(out, name) for name in names]
    save_decision_boundary(model, X, y, paths[0])
    save_loss_curve(run.losses, run.accuracies, paths[1])
    model.save(paths[2])
    write(f"moons: {run.accuracies[-1]:.0%} training accuracy, loss {run.losses[-1]:.4f} ({engine} engine)")
    write(f"{run.steps} {optimizer} steps in {run.seconds:.1f} s, {run.stop_reason(tol)}")
    write(_wrote(out, names))
    return run


def run_linear(
    *,
    epochs: int = 100,
    seed: int = 0,
    lr: float = 0.1,
    tol: float = 1e-6,
    out: str | os.PathLike[str] | None = None,
    write: Callable[[str], None] = print,
) -> tuple[float, Training]:
    """Fit y = w·x to y = 2x + N(0, 0.5) on 100 points in [−1, 1] by full-batch SGD on the MSE;
    with `out`, also draw the data with the fitted line, and the loss per epoch."""
    if out is not None:
        out = prepare_out_dir(out)
    rng = random.Random(seed)
    xs = [-1.0 + 2.0 * i / 99 for i in range(100)]
    ys = [2.0 * x + rng.gauss(0.0, 0.5) for x in xs]
    w = Value(0.0, label="w")
    opt = optim.SGD([w], lr=lr)

    def on_step(k: int, loss: float, _: float | None) -> None:
        write(f"epoch {k:3d}  loss {_fixed(loss)}  w {_fixed(w.data)}")

    run = train(eager(lambda: (mse_loss([w * x for x in xs], ys), None)), opt, epochs, tol, on_step=on_step)
    if run.diverged:
        raise DemoError(
            f"training diverged at epoch {run.steps} (loss {run.losses[-1]}); try an --lr below {lr:g}"
        )
    best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
    write(f"linear: w = {w.data:.4f} (least squares: {best:.4f}; the data was made with w = 2)")
    write(f"{run.steps} epochs, {run.stop_reason(tol)}, final loss {run.losses[-1]:.6f}")
    if out is not None:
        from nn.plots import save_linear_fit, save_loss_curve

        names = ("linear_fit.png", "loss_curve.png")
        save_linear_fit(xs, ys, w.data, os.path.join(out, names[0]))
        save_loss_curve(run.losses, None, os.path.join(out, names[1]), x_label="epoch")
        write(_wrote(out, names))
    return w.data, run


def _fixed(x: float) -> str:
    """Six decimals, or six significant digits for a number too large to show that way."""
    return f"{x:.6f}" if abs(x) < 1e6 else f"{x:.6g}"


def _columns() -> int:
    """The width to draw in: the terminal's, at most 80, so a progress bar never wraps."""
    return min(80, shutil.get_terminal_size((80, 24)).columns)


def _wrote(out: str, names: Sequence[str]) -> str:
    """'wrote DIR/: a, b, c' on one line when it fits in 80 columns, else one file a line."""
    line = f"wrote {os.path.join(out, '')}: {', '.join(names)}"
    if len(line) <= 80:
        return line
    return "\n".join(["wrote:", *(f"  {os.path.join(out, name)}" for name in names)])
