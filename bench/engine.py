"""Engine benchmark: gradwalk beside micrograd 0.1.0 in one run, reported as ratios.

    pip install -e '.[bench]' && python bench/engine.py [--repeats 5]

Workloads: memory per op, build + backward of a wide and of a deep graph, and depth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import bytes_per_op, median_seconds, ratio, with_deep_recursion

from autograd import Value as GradwalkValue

try:
    from micrograd.engine import Value as MicrogradValue
except ImportError:  # pragma: no cover - the bench extra is not installed
    sys.exit("micrograd is missing: pip install -e '.[bench]'")

N = 50_000


def mul_chain(value_type: type, n: int) -> object:
    """y = y * 1.0000001, n times: one op (and for micrograd one wrapped constant) per step."""
    y = value_type(1.0)
    for _ in range(n):
        y = y * 1.0000001
    return y


def terms(value_type: type, n: int = N) -> None:
    """Σ (a_i·b_i + c_i) over n terms, summed pairwise, then backward."""
    level = [value_type(0.5 + i * 1e-6) * value_type(1.5) + value_type(-0.25) for i in range(n)]
    while len(level) > 1:
        paired = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = paired + level[-1:] if len(level) % 2 else paired
    level[0].backward()


def chain(value_type: type, n: int = N) -> None:
    """y = y·a + c, n times, then backward."""
    a, c, y = value_type(0.9999), value_type(0.0001), value_type(1.0)
    for _ in range(n):
        y = y * a + c
    y.backward()


def backward_works(value_type: type, depth: int) -> bool:
    """Whether backward() of a chain of `depth` ops runs at the default recursion limit."""
    y = value_type(1.0)
    for _ in range(depth):
        y = y * 1.0
    try:
        y.backward()
    except RecursionError:
        return False
    return True


def deepest_backward(value_type: type, limit: int = 1_000_000) -> int:
    """The longest chain, up to `limit` ops, whose backward works (bisected)."""
    if backward_works(value_type, limit):
        return limit
    low, high = 0, limit  # works at low, fails at high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if backward_works(value_type, mid) else (low, mid)
    return low


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    print(f"{'workload':44} {'gradwalk':>11} {'micrograd':>11} {'ratio':>8}")
    mem_g = bytes_per_op(lambda n: mul_chain(GradwalkValue, n), N)
    mem_m = bytes_per_op(lambda n: mul_chain(MicrogradValue, n), N)
    print(f"{'memory per op, chain of 50,000 (bytes)':44} {mem_g:11.0f} {mem_m:11.0f} {ratio(mem_m, mem_g)}")

    for name, work in [
        ("build+backward, 50,000 a*b+c terms (s)", terms),
        ("build+backward, chain 50,000 (s)", chain),
    ]:
        t_g = median_seconds(lambda work=work: work(GradwalkValue), args.repeats)
        # micrograd's recursive topological sort needs a raised recursion limit for deep graphs.
        t_m = median_seconds(
            lambda work=work: with_deep_recursion(lambda: work(MicrogradValue)), args.repeats
        )
        print(f"{name:44} {t_g:11.3f} {t_m:11.3f} {ratio(t_m, t_g)}")

    d_g = deepest_backward(GradwalkValue)
    d_m = deepest_backward(MicrogradValue)
    print(f"{'deepest chain through backward (ops)':44} {d_g:11,} {d_m:11,}")


if __name__ == "__main__":
    main()
