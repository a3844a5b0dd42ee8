"""One training step of the moons demo, timed six ways side by side.

The step: forward MLP(2, [16, 16, 1]) on 100 points, hinge loss + 1e-4·Σp², zero_grad, backward,
SGD update. It is timed
- in the loop a micrograd user writes (Value inputs, builtin `sum` for the loss and the L2 term,
  `model.parameters()` each step) for gradwalk with fused neurons (one `dot` node each), gradwalk
  op by op (`fused=False`) and micrograd 0.1.0, the same code on all three;
- in the loop written with gradwalk's own tools (`nn.hinge_loss`, the L2 term as one `dot`, SGD)
  for gradwalk fused and op by op;
- as a hand-written float version with the backward pass derived by hand, the floor for pure Python.
All start from the same weights and data; their losses are checked to agree with the float
version's at every step they all made. The garbage collector is left on, as users have it. Each
figure is the median over several blocks of consecutive steps.

    python bench/moons.py [--rounds N] [--steps N] [--micrograd-steps N] [--no-micrograd]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import autograd
import nn

ALPHA = 1e-4
LR = 0.5
LOSS_RTOL = 1e-9  # the float version sums in another order; SGD keeps the curves this close

Step = Callable[[], float]  # one training step; returns the loss before the update


def micrograd_style_loss(model: Any, value_type: type, X: list[list[float]], labels: list[int]) -> Any:
    """The forward pass as a micrograd user writes it (micrograd's demo notebook): Value inputs,
    builtin sum for the loss and the L2 term, `model.parameters()` called each step. It runs
    unchanged on gradwalk's `nn.MLP` and on micrograd's."""
    inputs = [list(map(value_type, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def sgd_update(model: Any) -> None:
    """p ← p − lr·∂loss/∂p, the user's own loop over `model.parameters()`."""
    for p in model.parameters():
        p.data -= LR * p.grad


def micrograd_style_step(model: Any, value_type: type, X: list[list[float]], labels: list[int]) -> Step:
    """The whole step of micrograd's demo: the loss above, zero_grad, backward, SGD."""

    def step() -> float:
        loss = micrograd_style_loss(model, value_type, X, labels)
        model.zero_grad()
        loss.backward()
        sgd_update(model)
        return loss.data

    return step


def gradwalk_user_step(fused: bool, X: list[list[float]], labels: list[int]) -> Step:
    """gradwalk's MLP in the micrograd user's loop."""
    return micrograd_style_step(nn.MLP(2, [16, 16, 1], rng=0, fused=fused), autograd.Value, X, labels)


def gradwalk_library_step(fused: bool, X: list[list[float]], labels: list[int]) -> Step:
    """The step written with gradwalk's own tools: float inputs, `nn.hinge_loss`, the L2 term as one
    `dot` node, and nn's SGD."""
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


def micrograd_step(X: list[list[float]], labels: list[int]) -> Step:
    """micrograd 0.1.0's MLP, given gradwalk's initial weights, in the same user's loop."""
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MMLP

    model = MMLP(2, [16, 16, 1])
    for p, q in zip(model.parameters(), nn.MLP(2, [16, 16, 1], rng=0).parameters(), strict=True):
        p.data = q.data
    return micrograd_style_step(model, MValue, X, labels)


def float_step(X: list[list[float]], labels: list[int]) -> Step:
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


def time_in_rounds(runs: dict[str, tuple[Step, int]], rounds: int) -> dict[str, tuple[float, list[float]]]:
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


FUSED_USER = "gradwalk fused, user's loop"
PER_OP_USER = "gradwalk op by op, user's loop"
FUSED_LIB = "gradwalk fused, nn's loop"
PER_OP_LIB = "gradwalk op by op, nn's loop"
FLOATS = "hand-written floats"
MICROGRAD = "micrograd 0.1.0, user's loop"


def check_losses(losses: dict[str, list[float]]) -> float:
    """The largest relative difference from the float version's loss at the same step, over the
    steps all runs made; exits naming the run and the step where it exceeds LOSS_RTOL."""
    reference = losses[FLOATS]
    common = min(len(curve) for curve in losses.values())
    worst = 0.0
    for name, curve in losses.items():
        for step, (loss, ref) in enumerate(zip(curve[:common], reference[:common])):
            diff = abs(loss - ref) / max(1.0, abs(ref))
            if not diff <= LOSS_RTOL:  # also catches nan
                raise SystemExit(
                    f"{name}: loss {loss!r} at step {step} differs from the float version's {ref!r}"
                )
            worst = max(worst, diff)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of blocks, alternating (3)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per block, others (8)")
    parser.add_argument(
        "--micrograd-steps", type=int, default=3, help="timed steps per block for micrograd (3)"
    )
    parser.add_argument(
        "--no-micrograd", action="store_true", help="leave micrograd out (it takes most of the time)"
    )
    args = parser.parse_args()

    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    runs = {
        FUSED_USER: (gradwalk_user_step(True, X, labels), args.steps),
        PER_OP_USER: (gradwalk_user_step(False, X, labels), args.steps),
        FUSED_LIB: (gradwalk_library_step(True, X, labels), args.steps),
        PER_OP_LIB: (gradwalk_library_step(False, X, labels), args.steps),
        FLOATS: (float_step(X, labels), args.steps),
    }
    if not args.no_micrograd:
        try:
            runs[MICROGRAD] = (micrograd_step(X, labels), args.micrograd_steps)
        except ImportError:
            print("micrograd is not installed (pip install micrograd==0.1.0); timing the others")
    results = time_in_rounds(runs, args.rounds)
    worst = check_losses({name: losses for name, (_, losses) in results.items()})

    loss = results[FLOATS][1][0]
    print(f"one moons training step (100 points, MLP(2, [16, 16, 1]), 337 parameters); first loss {loss:.6f}")
    print(f"losses agree with the float version at every common step (largest relative gap {worst:.2g})")
    for name, (seconds, _) in results.items():
        print(f"  {name:<32} {seconds * 1e3:10.2f} ms/step")
    floor = results[FLOATS][0]
    fused, per_op = results[FUSED_USER][0], results[PER_OP_USER][0]
    print(f"  user's loop, fused / floats:      {fused / floor:6.2f}×   (goal ≤ 2.5×)")
    print(f"  user's loop, op by op / floats:   {per_op / floor:6.2f}×   (goal ≤ 8×)")
    print(f"  nn's loop, fused / floats:        {results[FUSED_LIB][0] / floor:6.2f}×")
    print(f"  nn's loop, op by op / floats:     {results[PER_OP_LIB][0] / floor:6.2f}×")
    if MICROGRAD in results:
        micro = results[MICROGRAD][0]
        print(f"  micrograd / gradwalk fused (user's loop):    {micro / fused:6.1f}×")
        print(f"  micrograd / gradwalk op by op (user's loop): {micro / per_op:6.1f}×")


if __name__ == "__main__":
    main()
