"""One training step of the moons demo, timed four ways side by side.

The step: forward MLP(2, [16, 16, 1]) on 100 points, hinge loss + 1e-4·Σp², zero_grad, backward,
SGD update. It is timed for gradwalk with fused neurons (one `dot` node each), gradwalk op by op
(`fused=False`), micrograd 0.1.0 (as in its demo), and a hand-written float version with the
backward pass derived by hand, the floor for pure Python. All four start from the same weights
and data, and their first losses are checked to agree. The garbage collector is left on, as
users have it. Each figure is the median over several blocks of consecutive steps.

    python bench/moons.py [--rounds N] [--steps N] [--micrograd-steps N]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

import autograd
import nn

ALPHA = 1e-4
LR = 0.5


def gradwalk_step(fused: bool, X: list[list[float]], labels: list[int]) -> Callable[[], float]:
    model = nn.MLP(2, [16, 16, 1], rng=0, fused=fused)
    opt = nn.optim.SGD(model.parameters(), lr=LR)

    def step() -> float:
        scores = [model(x) for x in X]
        params = model.parameters()
        loss = nn.hinge_loss(scores, labels) + ALPHA * autograd.dot(params, params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step


def micrograd_step(X: list[list[float]], labels: list[int]) -> Callable[[], float]:
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MMLP

    model = MMLP(2, [16, 16, 1])
    for p, q in zip(model.parameters(), nn.MLP(2, [16, 16, 1], rng=0).parameters(), strict=True):
        p.data = q.data

    def step() -> float:  # the loss function of micrograd's demo notebook
        inputs = [list(map(MValue, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        return loss.data

    return step


def float_step(X: list[list[float]], labels: list[int]) -> Callable[[], float]:
    """The same step on plain floats: forward, then the backward pass written out by hand."""
    model = nn.MLP(2, [16, 16, 1], rng=0)
    # W[l][j] = weights of neuron j of layer l, B[l][j] its bias
    W = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
    B = [[n.b.data for n in layer.neurons] for layer in model.layers]
    n = len(X)

    def step() -> float:
        gW = [[[0.0] * len(row) for row in layer] for layer in W]
        gB = [[0.0] * len(layer) for layer in B]
        data_loss = 0.0
        for x, y in zip(X, labels):
            acts = [x]  # the input of each layer
            for W_l, B_l in zip(W[:-1], B[:-1]):
                a = acts[-1]
                acts.append([max(sum(w * ai for w, ai in zip(row, a)) + b, 0.0) for row, b in zip(W_l, B_l)])
            h = acts[-1]
            score = sum(w * hi for w, hi in zip(W[-1][0], h)) + B[-1][0]
            margin = 1.0 - y * score
            if margin <= 0.0:
                continue
            data_loss += margin
            delta = [-y / n]  # ∂loss/∂(pre-activation) of the layer being walked back through
            for layer in range(len(W) - 1, -1, -1):
                a = acts[layer]
                upstream = [0.0] * len(a)
                for j, d in enumerate(delta):
                    if d == 0.0:
                        continue
                    row, grow = W[layer][j], gW[layer][j]
                    for i, ai in enumerate(a):
                        grow[i] += d * ai
                        upstream[i] += d * row[i]
                    gB[layer][j] += d
                if layer:  # through relu: the gradient passes where the activation was positive
                    delta = [u if ai > 0.0 else 0.0 for u, ai in zip(upstream, a)]
        reg = sum(w * w for layer in W for row in layer for w in row) + sum(
            b * b for layer in B for b in layer
        )
        for W_l, gW_l, B_l, gB_l in zip(W, gW, B, gB):
            for row, grow in zip(W_l, gW_l):
                for i, w in enumerate(row):
                    row[i] = w - LR * (grow[i] + 2 * ALPHA * w)
            for j, b in enumerate(B_l):
                B_l[j] = b - LR * (gB_l[j] + 2 * ALPHA * b)
        return data_loss / n + ALPHA * reg

    return step


def time_in_rounds(
    runs: dict[str, tuple[Callable[[], float], int]], rounds: int
) -> dict[str, tuple[float, list[float]]]:
    """Median seconds per step and the losses, for each run.

    Each round runs every implementation for a block of consecutive steps, as a training loop
    does: the first step of a block is a warm-up and is not timed, so every timed step also pays
    for collecting the garbage of the step before it, as in the demo's 100-step loop (micrograd's
    graphs are cycles, freed only by the collector). Rounds alternate so that changes in machine
    load fall on all of them alike; between blocks an untimed collection clears the last one's.
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    losses: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (step, steps_per_round) in runs.items():
            gc.collect()
            losses[name].append(step())  # warm-up
            for _ in range(steps_per_round):
                start = time.perf_counter()
                losses[name].append(step())
                times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), losses[name]) for name in runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of blocks, alternating (3)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per block, others (8)")
    parser.add_argument(
        "--micrograd-steps", type=int, default=3, help="timed steps per block for micrograd (3)"
    )
    args = parser.parse_args()

    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    runs = {
        "gradwalk, fused neurons": (gradwalk_step(True, X, labels), args.steps),
        "gradwalk, op by op": (gradwalk_step(False, X, labels), args.steps),
        "hand-written floats": (float_step(X, labels), args.steps),
    }
    try:
        runs["micrograd 0.1.0"] = (micrograd_step(X, labels), args.micrograd_steps)
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0); timing the others")
    results = time_in_rounds(runs, args.rounds)

    first_losses = {name: losses[0] for name, (_, losses) in results.items()}  # all from the same weights
    reference = first_losses["hand-written floats"]
    for name, loss in first_losses.items():
        if abs(loss - reference) > 1e-9 * max(1.0, abs(reference)):
            raise SystemExit(f"{name}: first loss {loss!r} differs from the float version's {reference!r}")

    print(f"one moons training step (100 points, MLP(2, [16, 16, 1]), 337 parameters); loss {reference:.6f}")
    for name, (seconds, _) in results.items():
        print(f"  {name:<26} {seconds * 1e3:10.2f} ms/step")
    fused = results["gradwalk, fused neurons"][0]
    per_op = results["gradwalk, op by op"][0]
    floor = results["hand-written floats"][0]
    if "micrograd 0.1.0" in results:
        micro = results["micrograd 0.1.0"][0]
        print(f"  micrograd / gradwalk fused: {micro / fused:6.1f}×   (goal ≥ 100×)")
        print(f"  micrograd / gradwalk op by op: {micro / per_op:6.1f}×   (goal ≥ 20×)")
    print(f"  gradwalk fused / floats: {fused / floor:6.2f}×")
    print(f"  gradwalk op by op / floats: {per_op / floor:6.2f}×")


if __name__ == "__main__":
    main()
