"""The moons training step compiled with autograd.compile, beside eager, hand-written floats and torch.

One step: MLP(2, [16, 16, 1]) relu on the moons points, hinge loss + 1e-4·Σp², backward, SGD
(lr 0.5). It is timed

- eager (fused neurons), and on hand-written floats (`float_step` of bench/moons.py, the floor);
- compiled: `step = autograd.compile(loss_of)` on the whole batch, replayed as straight-line
  Python, with fused neurons and op by op (`fused=False`);
- batched: `step.map(X, y)` with numpy, one numpy operation per node for all rows at once;
- torch batched (float64, the same weights, forward + backward + SGD), when torch is installed;
- and the batched step on 1,000 points, against torch on the same points.

Every run starts from the same weights and its first loss is checked against eager's. Each figure
is the median over rounds of consecutive steps, the rounds alternating between the runs, so
changes in machine load fall on all alike. Tracing (the first call) is reported against one
eager step.

    python bench/compiled.py [--rounds N] [--steps N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from moons import ALPHA, LR, float_step, gradwalk_library_step, time_in_rounds

import autograd
import nn

SIZES = [16, 16, 1]


def model_and_optimiser(fused: bool = True) -> tuple[nn.MLP, nn.optim.SGD, list[autograd.Value]]:
    model = nn.MLP(2, SIZES, rng=0, fused=fused)
    params = model.parameters()
    return model, nn.optim.SGD(params, lr=LR), params


def compiled_step(fused: bool, X: list[list[float]], labels: list[int]) -> tuple[Callable[[], float], float]:
    """The whole batch's loss compiled; returns the step and the seconds of its first call (the trace)."""
    model, opt, params = model_and_optimiser(fused)

    def loss_of(X: list[list[float]], labels: tuple[int, ...]) -> autograd.Value:
        scores = [model(x) for x in X]
        return nn.hinge_loss(scores, labels) + ALPHA * autograd.dot(params, params)

    compiled = autograd.compile(loss_of)
    labels_key = tuple(labels)  # ints: static, part of the cache key

    def step() -> float:
        loss = compiled(X, labels_key)
        opt.step()
        opt.zero_grad()
        return loss

    start = time.perf_counter()
    loss = step()  # the trace, code generation and the first replay
    elapsed = time.perf_counter() - start
    return _restarted(step, loss), elapsed


def batched_step(X: list[list[float]], labels: list[int]) -> tuple[Callable[[], float], float]:
    """One row's loss compiled and mapped over all rows with numpy: mean over rows, as eager's."""
    model, opt, params = model_and_optimiser()

    def row_loss(x: list[autograd.Value], y: autograd.Value) -> autograd.Value:
        return autograd.relu(1 - y * model(x)) + ALPHA * autograd.dot(params, params)

    compiled = autograd.compile(row_loss)
    try:  # the batch as arrays, made once, as torch's tensors are
        import numpy as np

        columns: tuple[object, object] = (np.asarray(X, dtype=float), np.asarray(labels, dtype=float))
    except ImportError:
        columns = (X, [float(t) for t in labels])

    def step() -> float:
        loss = compiled.map(*columns)
        opt.step()
        opt.zero_grad()
        return loss

    start = time.perf_counter()
    loss = step()  # the trace and the first batch: the timed steps start from the next weights
    elapsed = time.perf_counter() - start
    return _restarted(step, loss), elapsed


def _restarted(step: Callable[[], float], first_loss: float) -> Callable[[], float]:
    """step, whose first call returns the loss it already computed (so runs start alike)."""
    pending = [first_loss]

    def run() -> float:
        return pending.pop() if pending else step()

    return run


def torch_step(X: list[list[float]], labels: list[int]) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = nn.MLP(2, SIZES, rng=0)
    layers = []
    for layer in model.layers:
        W = torch.tensor(
            [[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True
        )
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        layers.append((W, b))
    params = [t for pair in layers for t in pair]
    opt = torch.optim.SGD(params, lr=LR)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(labels, dtype=torch.float64)

    def step() -> float:
        h = Xt
        for i, (W, b) in enumerate(layers):
            h = h @ W.T + b
            if i < len(layers) - 1:
                h = torch.relu(h)
        loss = torch.relu(1 - yt * h[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def eager_seconds(X: list[list[float]], labels: list[int], repeats: int = 3) -> float:
    step = gradwalk_library_step(True, X, labels)
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_first_losses(
    results: dict[str, tuple[float, list[float]]], reference: str, tolerance: float
) -> None:
    expected = results[reference][1][0]
    for name, (_, losses) in results.items():
        if abs(losses[0] - expected) > tolerance * max(1.0, abs(expected)):
            raise SystemExit(f"{name}: first loss {losses[0]!r} differs from {reference}'s {expected!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of blocks, alternating (5)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per block (5)")
    args = parser.parse_args()

    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    per_sample, trace_fused = compiled_step(True, X, labels)
    per_op, trace_op = compiled_step(False, X, labels)
    batched, trace_batched = batched_step(X, labels)
    runs = {
        "eager, fused": (gradwalk_library_step(True, X, labels), args.steps),
        "hand-written floats": (float_step(X, labels), args.steps),
        "compiled, fused": (per_sample, args.steps),
        "compiled, op by op": (per_op, args.steps),
        "batched (numpy)": (batched, args.steps),
    }
    torch_100 = torch_step(X, labels)
    if torch_100 is not None:
        runs["torch batched"] = (torch_100, args.steps)
    else:
        print("torch is not installed (pip install torch==2.13.0); timing the others")
    results = time_in_rounds(runs, args.rounds)
    check_first_losses({k: v for k, v in results.items() if "batch" not in k}, "eager, fused", 1e-12)
    check_first_losses(results, "eager, fused", 1e-9)

    X1k, y1k = nn.data.make_moons(1000, noise=0.1, seed=0)
    labels1k = [2 * t - 1 for t in y1k]
    big, _ = batched_step(X1k, labels1k)
    big_runs = {
        "eager, fused, 1,000 points": (gradwalk_library_step(True, X1k, labels1k), 1),
        "batched (numpy), 1,000 points": (big, args.steps),
    }
    torch_1k = torch_step(X1k, labels1k)
    if torch_1k is not None:
        big_runs["torch batched, 1,000 points"] = (torch_1k, args.steps)
    big_results = time_in_rounds(big_runs, max(2, args.rounds // 2))
    check_first_losses(big_results, "eager, fused, 1,000 points", 1e-9)

    ms = {name: seconds * 1e3 for name, (seconds, _) in {**results, **big_results}.items()}
    floor = ms["hand-written floats"]
    loss = results["eager, fused"][1][0]
    print(f"one moons training step, MLP(2, {SIZES}) relu, hinge + L2, SGD; loss {loss:.6f}")
    for name, value in ms.items():
        print(f"  {name:<32} {value:9.3f} ms/step")
    print("ratios (goal):")
    print(f"  compiled, fused / floats          {ms['compiled, fused'] / floor:6.2f}×  (≤ 0.5×)")
    print(f"  compiled, op by op / floats       {ms['compiled, op by op'] / floor:6.2f}×  (≤ 1.0×)")
    if torch_100 is not None:
        ratio = ms["batched (numpy)"] / ms["torch batched"]
        print(f"  batched / torch batched           {ratio:6.2f}×  (≤ 0.8×)")
        big_ratio = ms["batched (numpy), 1,000 points"] / ms["torch batched, 1,000 points"]
        print(f"  1,000 points: batched / torch     {big_ratio:6.2f}×  (≤ 0.8×)")
    print(f"  eager, fused / floats             {ms['eager, fused'] / floor:6.2f}×")
    eager_one = eager_seconds(X, labels)
    print("tracing (first call: trace + code generation), against one eager step:")
    for name, seconds in (("fused", trace_fused), ("op by op", trace_op), ("batched", trace_batched)):
        print(f"  {name:<10} {seconds * 1e3:9.1f} ms = {seconds / eager_one:6.1f} eager steps")


if __name__ == "__main__":
    main()
