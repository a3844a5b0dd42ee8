"""Where a training step spends its time: forward (building the graph), backward, the update, and gc.

For each workload the step is split into its phases and timed with `time.perf_counter`; the
time the cyclic garbage collector takes (seen through `gc.callbacks`) is charged to the phase it
interrupted, so "of which gc" is part of that phase's time. The graph's node count gives the
cost per node. Then a few steps run under cProfile and the functions with the most own time are
listed, split by phase for backward (the topological walk and the chain-rule propagation show
there as separate functions of the engine).

    python bench/profile_step.py [--workload gpt|gpt-reference|moons-fused|moons-op|all] [--steps N] [--top N]

cProfile's own overhead inflates the cost of every Python call, so trust its ranking, not its
absolute figures; the phase table comes from runs without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gpt
import moons
import reference_engine

import autograd
import nn
from autograd.graph import count_nodes

PHASES = ("forward", "zero_grad", "backward", "update")


@dataclass
class Workload:
    """One training step as its phases: `forward()` returns the loss; `zero_grad()` and `update()`
    are the optimizer's parts; backward is `loss.backward()`."""

    name: str
    forward: Callable[[], Any]
    zero_grad: Callable[[], None]
    update: Callable[[], None]
    count_nodes: Callable[[Any], int] = count_nodes


def reference_node_count(root: Any) -> int:
    """The nodes of a reference-engine graph, counted iteratively over `_children`."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def gpt_workload(value_type: type = autograd.Value, seed: int = 0) -> Workload:
    """The tiny-GPT step of bench/gpt.py on one engine, one name per step."""
    names, _ = gpt.load_names()
    corpus = gpt.Corpus.of(names, seed)
    model = gpt.TinyGPT(value_type, gpt.init_weights(corpus.vocab_size, seed))
    opt = gpt.Adam(model.params, total_steps=1000)
    state = {"step": 0}

    def forward() -> Any:
        state["step"] += 1
        return model.loss(corpus.tokens(state["step"] - 1))

    if value_type is autograd.Value:
        return Workload("tiny GPT, gradwalk", forward, lambda: None, opt.step)  # Adam zeroes the grads
    return Workload("tiny GPT, reference engine", forward, lambda: None, opt.step, reference_node_count)


def moons_workload(fused: bool) -> Workload:
    """gradwalk's moons step in the micrograd user's loop of bench/moons.py."""
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    model = nn.MLP(2, [16, 16, 1], rng=0, fused=fused)
    return Workload(
        f"moons, user's loop, gradwalk {'fused' if fused else 'op by op'}",
        lambda: moons.micrograd_style_loss(model, autograd.Value, X, labels),
        model.zero_grad,
        lambda: moons.sgd_update(model),
    )


WORKLOADS: dict[str, Callable[[], Workload]] = {
    "gpt": gpt_workload,
    "gpt-reference": lambda: gpt_workload(reference_engine.Value),
    "moons-fused": lambda: moons_workload(True),
    "moons-op": lambda: moons_workload(False),
}


@dataclass
class PhaseClock:
    """Seconds per phase of each step, and the collector's seconds inside each phase."""

    phase: str = ""
    gc_started: float = 0.0
    gc_seconds: dict[str, float] = field(default_factory=dict)
    collections: dict[str, int] = field(default_factory=dict)

    def on_gc(self, event: str, info: dict[str, int]) -> None:  # gc.callbacks' signature
        if event == "start":
            self.gc_started = time.perf_counter()
        elif self.phase:
            self.gc_seconds[self.phase] = self.gc_seconds.get(self.phase, 0.0) + (
                time.perf_counter() - self.gc_started
            )
            self.collections[self.phase] = self.collections.get(self.phase, 0) + 1

    def run_step(self, work: Workload) -> tuple[dict[str, float], dict[str, float], int, int]:
        """One step: seconds per phase, gc seconds per phase, nodes in the graph, gc collections."""
        self.gc_seconds, self.collections = {}, {}
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        self.phase = "forward"
        loss = work.forward()
        t1 = time.perf_counter()
        self.phase = "zero_grad"
        work.zero_grad()
        t2 = time.perf_counter()
        self.phase = "backward"
        loss.backward()
        t3 = time.perf_counter()
        self.phase = "update"
        work.update()
        t4 = time.perf_counter()
        self.phase = ""
        seconds = {"forward": t1 - t0, "zero_grad": t2 - t1, "backward": t3 - t2, "update": t4 - t3}
        nodes = work.count_nodes(loss)  # after the timing: the count walks the graph once more
        return seconds, dict(self.gc_seconds), nodes, sum(self.collections.values())


def phase_table(work: Workload, steps: int) -> None:
    """Medians over `steps` steps (after one warm-up step) of each phase, without a profiler."""
    clock = PhaseClock()
    gc.callbacks.append(clock.on_gc)
    try:
        clock.run_step(work)  # warm-up: caches, the first collection of the process's own garbage
        runs = [clock.run_step(work) for _ in range(steps)]
    finally:
        gc.callbacks.remove(clock.on_gc)
    nodes = statistics.median(n for _, _, n, _ in runs)
    total = statistics.median(sum(s.values()) for s, _, _, _ in runs)
    print(f"\n{work.name}: median of {steps} steps, {nodes:,.0f} nodes per graph, {total * 1e3:.1f} ms/step")
    print(f"  {'phase':<10} {'ms':>8} {'of step':>8} {'ns/node':>8} {'gc ms':>8}")
    for phase in PHASES:
        ms = statistics.median(s[phase] for s, _, _, _ in runs) * 1e3
        gc_ms = statistics.median(g.get(phase, 0.0) for _, g, _, _ in runs) * 1e3
        share = ms / (total * 1e3)
        print(f"  {phase:<10} {ms:8.2f} {share:8.0%} {ms * 1e6 / nodes:8.0f} {gc_ms:8.2f}")
    collections = statistics.median(c for _, _, _, c in runs)
    print(f"  cyclic gc: {collections:.0f} collections per step (median); gc ms is inside the phase's ms")


def profile_listing(work: Workload, steps: int, top: int) -> None:
    """The functions with the most own time over `steps` profiled steps, backward apart."""
    whole, backward = cProfile.Profile(), cProfile.Profile()
    for _ in range(steps):
        whole.enable()
        loss = work.forward()
        work.zero_grad()
        whole.disable()
        backward.enable()
        loss.backward()
        backward.disable()
        whole.enable()
        work.update()
        whole.disable()
        del loss
    for title, profile in (("forward, zero_grad and update", whole), ("backward", backward)):
        print(f"  cProfile, {title}: top {top} by own time, per step")
        stats = pstats.Stats(profile)
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
        total = sum(row[2] for row in stats.stats.values()) or 1.0
        for (filename, line, function), (_, calls, tottime, cumtime, _) in rows:
            where = f"{Path(filename).name}:{line}" if line else "built-in"
            print(
                f"    {tottime / total:5.0%} {tottime * 1e3 / steps:8.2f} ms own "
                f"{cumtime * 1e3 / steps:8.2f} ms with callees "
                f"{calls // steps:>9,} calls  {function} ({where})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per workload (10)")
    parser.add_argument("--profile-steps", type=int, default=3, help="steps under cProfile (3)")
    parser.add_argument("--top", type=int, default=12, help="functions listed per profile (12)")
    args = parser.parse_args()
    chosen = list(WORKLOADS) if args.workload == "all" else [args.workload]
    # The reference's backward recurses once per node of depth (see bench/gpt.py); raised here,
    # in the bench, for it.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), gpt.REFERENCE_RECURSION_LIMIT))
    for key in chosen:
        work = WORKLOADS[key]()
        phase_table(work, args.steps)
        profile_listing(work, args.profile_steps, args.top)


if __name__ == "__main__":
    main()
