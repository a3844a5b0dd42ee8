"""The demo's pictures, drawn with matplotlib's Agg canvas (no display, no global pyplot state)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from autograd import Value, no_grad


def save_decision_boundary(
    model: Callable[[list[float]], Value],
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    path: str | os.PathLike[str],
    resolution: int = 60,
) -> None:
    """The sign of model(x) over a grid around the data, with the data on top, as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x_lo, x_hi = min(xs) - 0.5, max(xs) + 0.5
    y_lo, y_hi = min(ys) - 0.5, max(ys) + 0.5
    gx = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    gy = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():  # thousands of forward passes; no graph is needed to read the scores
        scores = [[model([a, b]).data for a in gx] for b in gy]
    fig = Figure(figsize=(5.5, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.contourf(
        gx,
        gy,
        [[1.0 if s > 0 else 0.0 for s in row] for row in scores],
        levels=[-0.5, 0.5, 1.5],
        cmap="Spectral",
        alpha=0.8,
    )
    ax.contour(gx, gy, scores, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(xs, ys, c=list(y), s=25, cmap="Spectral", edgecolors="k", linewidths=0.5)
    ax.set_title("decision boundary: sign of the model's score")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    fig.tight_layout()
    fig.savefig(path, format="png")


def save_loss_curve(
    losses: Sequence[float],
    accuracies: Sequence[float | None] | None,
    path: str | os.PathLike[str],
    x_label: str = "step",
) -> None:
    """Loss per step, with the training accuracy at the steps where it was measured, as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    steps = list(range(len(losses)))
    ax.plot(steps, losses, color="tab:blue", label="loss")
    ax.set_xlabel(x_label)
    ax.set_ylabel("loss", color="tab:blue")
    ax.set_yscale("log" if min(losses, default=0) > 0 else "linear")
    measured = [(k, 100 * a) for k, a in enumerate(accuracies or ()) if a is not None]
    if measured:
        acc = ax.twinx()
        acc.plot(*zip(*measured), color="tab:orange", marker="o" if len(measured) == 1 else "")
        acc.set_ylabel("training accuracy (%)", color="tab:orange")
        acc.set_ylim(0, 101)
    ax.set_title("training")
    fig.tight_layout()
    fig.savefig(path, format="png")


def save_linear_fit(xs: Sequence[float], ys: Sequence[float], w: float, path: str | os.PathLike[str]) -> None:
    """The data points and the fitted line y = w·x, as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(xs, ys, s=15, color="tab:blue", label="data")
    ends = [min(xs), max(xs)]
    ax.plot(ends, [w * x for x in ends], color="tab:red", linewidth=2, label=f"fit: y = {w:.4f}·x")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    ax.set_title("linear fit")
    fig.tight_layout()
    fig.savefig(path, format="png")
