"""A tiny character-level GPT trained on scalar Values, timed on gradwalk and on the reference engine.

The model is the one of the microgpt script: one layer, 16-dimensional embeddings, 4 heads, a
context of 16 tokens, rmsnorm, a relu MLP (4×) and no biases, trained with Adam on one name per
step. The same model code runs on both engines: it takes the `Value` class as its only engine
dependency. Both start from the same weights and see the same names in the same order; the
losses are checked to agree at every step (within 1e-12, relative: the engines may round a
division or sum grads in a different order, so bitwise equality is reported but not required).
Steps alternate between the engines in blocks, so changes in machine load fall on both alike;
the garbage collector is left on, as users have it.

    python bench/gpt.py [--steps N] [--block N] [--seed N]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_engine

import autograd

N_EMBD = 16
N_HEAD = 4
HEAD_DIM = N_EMBD // N_HEAD
BLOCK_SIZE = 16
INIT_STD = 0.08
LOSS_RTOL = 1e-12
# The reference's backward recurses once per node of depth (about 300 here); the limit is raised
# for its steps only, in this bench, so that a longer name or context cannot stop it.
REFERENCE_RECURSION_LIMIT = 20_000

Matrix = list[list[float]]


# -- the names ---------------------------------------------------------------------------------


def load_names() -> tuple[list[str], str]:
    """First names, lower case and sorted, and where they came from.

    From the `names` package's census lists (the bench extra) when it is installed, else made up
    by `generated_names`, so that the bench runs without it.
    """
    try:
        from importlib.resources import files

        package = files("names")
        lines = [
            line
            for listing in ("dist.female.first", "dist.male.first")
            for line in (package / listing).read_text().splitlines()
        ]
    except (ImportError, FileNotFoundError):
        return generated_names(), "generated (pip install names for the census lists)"
    found = {line.split()[0].lower() for line in lines if line.strip()}
    return sorted(name for name in found if name.isalpha() and name.isascii()), "the names package"


def generated_names(count: int = 2000, seed: int = 0) -> list[str]:
    """`count` distinct pronounceable names of 3 to 10 letters, made of consonant-vowel syllables."""
    rng = random.Random(seed)
    onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z"]
    onsets += ["br", "ch", "cl", "dr", "gr", "kr", "sh", "st", "th", "tr"]
    vowels = ["a", "e", "i", "o", "u", "y", "ai", "ea", "ie", "ou"]
    codas = ["", "", "", "n", "l", "r", "s", "th", "x"]
    found: set[str] = set()
    while len(found) < count:
        name = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3)))
        name += rng.choice(codas)
        if 3 <= len(name) <= 10:
            found.add(name)
    return sorted(found)


# -- the model, on any engine's Value ----------------------------------------------------------


def init_weights(vocab_size: int, seed: int) -> dict[str, Matrix]:
    """Every weight matrix as floats, drawn from N(0, 0.08²): rows are output units."""
    rng = random.Random(seed)

    def matrix(nout: int, nin: int) -> Matrix:
        return [[rng.gauss(0.0, INIT_STD) for _ in range(nin)] for _ in range(nout)]

    return {
        "wte": matrix(vocab_size, N_EMBD),  # token embeddings
        "wpe": matrix(BLOCK_SIZE, N_EMBD),  # position embeddings
        "attn_wq": matrix(N_EMBD, N_EMBD),
        "attn_wk": matrix(N_EMBD, N_EMBD),
        "attn_wv": matrix(N_EMBD, N_EMBD),
        "attn_wo": matrix(N_EMBD, N_EMBD),
        "mlp_fc1": matrix(4 * N_EMBD, N_EMBD),
        "mlp_fc2": matrix(N_EMBD, 4 * N_EMBD),
        "lm_head": matrix(vocab_size, N_EMBD),
    }


def linear(x, w):
    """y_i = Σ_j w_ij·x_j, summed left to right by builtin sum as a scalar-engine user writes it."""
    return [sum(wij * xj for wij, xj in zip(row, x)) for row in w]


def softmax(logits):
    """p_i = e^(z_i − m) / Σ_j e^(z_j − m), with m = max z taken on the data (a constant)."""
    top = max(z.data for z in logits)
    exps = [(z - top).exp() for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x):
    """x_i / sqrt(mean(x²) + 1e-5)."""
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class TinyGPT:
    """One transformer layer over characters; `Value` is the engine's scalar class."""

    def __init__(self, Value: type, weights: dict[str, Matrix]) -> None:
        self.state = {name: [[Value(w) for w in row] for row in mat] for name, mat in weights.items()}
        self.params = [p for mat in self.state.values() for row in mat for p in row]

    def logits(self, token: int, position: int, keys: list, values: list) -> list:
        """The next token's logits, given this token and the keys and values of those before it."""
        s = self.state
        x = [t + p for t, p in zip(s["wte"][token], s["wpe"][position])]
        x = rmsnorm(x)
        residual = x
        x = rmsnorm(x)
        q = linear(x, s["attn_wq"])
        keys.append(linear(x, s["attn_wk"]))
        values.append(linear(x, s["attn_wv"]))
        attended = []
        for h in range(0, N_EMBD, HEAD_DIM):  # each head looks at its own slice of q, k and v
            q_h = q[h : h + HEAD_DIM]
            scores = [sum(qj * kj for qj, kj in zip(q_h, k[h : h + HEAD_DIM])) / HEAD_DIM**0.5 for k in keys]
            weights = softmax(scores)
            attended += [sum(a * v[h + j] for a, v in zip(weights, values)) for j in range(HEAD_DIM)]
        x = [a + r for a, r in zip(linear(attended, s["attn_wo"]), residual)]
        residual = x
        x = [xi.relu() for xi in linear(rmsnorm(x), s["mlp_fc1"])]
        x = [a + r for a, r in zip(linear(x, s["mlp_fc2"]), residual)]
        return linear(x, s["lm_head"])

    def loss(self, tokens: Sequence[int]):
        """Mean over positions of −log p(next token), the context cut to BLOCK_SIZE tokens."""
        n = min(BLOCK_SIZE, len(tokens) - 1)
        keys: list = []
        values: list = []
        losses = []
        for position in range(n):
            probs = softmax(self.logits(tokens[position], position, keys, values))
            losses.append(-probs[tokens[position + 1]].log())
        return (1 / n) * sum(losses)


class Adam:
    """m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr_t·m̂/(√v̂ + ε), lr_t decaying linearly."""

    def __init__(self, params: list, total_steps: int, lr: float = 0.01) -> None:
        self.params, self.total_steps, self.lr = params, total_steps, lr
        self.beta1, self.beta2, self.eps = 0.85, 0.99, 1e-8
        self.m = [0.0] * len(params)
        self.v = [0.0] * len(params)
        self.t = 0

    def step(self) -> None:
        """Update every parameter from its grad, then zero the grad (leaf grads accumulate)."""
        lr_t = self.lr * (1 - self.t / self.total_steps)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correct1, correct2 = 1 - b1**self.t, 1 - b2**self.t
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p.data -= lr_t * (m[i] / correct1) / ((v[i] / correct2) ** 0.5 + self.eps)
            p.grad = 0


# -- training and timing -----------------------------------------------------------------------


@dataclass
class Corpus:
    """Names as documents, and the character tokenizer: 'a'… as 0…, BOS (begin/end) last."""

    docs: list[str]
    chars: list[str]

    @classmethod
    def of(cls, names: Sequence[str], seed: int) -> Corpus:
        docs = list(names)
        random.Random(seed).shuffle(docs)
        return cls(docs, sorted(set("".join(docs))))

    @property
    def bos(self) -> int:
        return len(self.chars)

    @property
    def vocab_size(self) -> int:
        return len(self.chars) + 1

    def tokens(self, step: int) -> list[int]:
        """The document of this step: BOS, its characters, BOS."""
        doc = self.docs[step % len(self.docs)]
        return [self.bos, *(self.chars.index(c) for c in doc), self.bos]


class Trainer:
    """One engine's model and optimizer; `step()` trains on the next document and times it."""

    def __init__(self, Value: type, corpus: Corpus, weights: dict[str, Matrix], total_steps: int) -> None:
        self.corpus = corpus
        self.model = TinyGPT(Value, weights)
        self.opt = Adam(self.model.params, total_steps)
        self.steps_done = 0
        self.losses: list[float] = []
        self.seconds: list[float] = []

    def step(self) -> None:
        tokens = self.corpus.tokens(self.steps_done)
        start = time.perf_counter()
        loss = self.model.loss(tokens)
        loss.backward()
        self.opt.step()
        self.seconds.append(time.perf_counter() - start)
        self.losses.append(loss.data)
        self.steps_done += 1


def with_recursion_limit(limit: int, work: Callable[[], None]) -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        work()
    finally:
        sys.setrecursionlimit(old)


def train_side_by_side(trainers: dict[str, Trainer], steps: int, block: int) -> None:
    """`steps` steps on each engine, alternating in blocks of `block`; an untimed collection before
    each block clears the other engine's garbage, so no engine pays for another's."""
    while any(t.steps_done < steps for t in trainers.values()):
        for name, trainer in trainers.items():
            gc.collect()
            todo = min(block, steps - trainer.steps_done)

            def run(trainer: Trainer = trainer, todo: int = todo) -> None:
                for _ in range(todo):
                    trainer.step()

            if name == "reference":
                with_recursion_limit(REFERENCE_RECURSION_LIMIT, run)
            else:
                run()


def check_losses(a: Trainer, b: Trainer) -> tuple[float, bool]:
    """The largest relative difference of the two loss curves, and whether they are bitwise equal;
    exits with both numbers at the first step where they differ by more than LOSS_RTOL."""
    worst = 0.0
    for step, (x, y) in enumerate(zip(a.losses, b.losses, strict=True)):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise SystemExit(f"step {step}: a loss is not finite: gradwalk {x!r}, reference {y!r}")
        diff = abs(x - y) / max(1.0, abs(y))
        if diff > LOSS_RTOL:
            raise SystemExit(f"step {step}: losses differ: gradwalk {x!r}, reference {y!r} (rel {diff:.3g})")
        worst = max(worst, diff)
    return worst, a.losses == b.losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps per engine (100)")
    parser.add_argument("--block", type=int, default=10, help="consecutive steps per engine in turn (10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the shuffle (0)")
    args = parser.parse_args()
    if args.steps < 1 or args.block < 1:
        parser.error("--steps and --block must be at least 1")

    names, source = load_names()
    corpus = Corpus.of(names, args.seed)
    weights = init_weights(corpus.vocab_size, args.seed)
    trainers = {
        "gradwalk": Trainer(autograd.Value, corpus, weights, args.steps),
        "reference": Trainer(reference_engine.Value, corpus, weights, args.steps),
    }
    train_side_by_side(trainers, args.steps, args.block)
    worst, bitwise = check_losses(trainers["gradwalk"], trainers["reference"])

    gw, ref = trainers["gradwalk"], trainers["reference"]
    print(
        f"tiny GPT: 1 layer, n_embd {N_EMBD}, {N_HEAD} heads, context {BLOCK_SIZE}, "
        f"{len(gw.model.params):,} parameters, Adam; {len(corpus.docs):,} names from {source}"
    )
    print(
        f"{args.steps} steps per engine in blocks of {args.block}; "
        f"loss {gw.losses[0]:.4f} → {gw.losses[-1]:.4f}"
    )
    print(
        f"losses agree at every step: largest relative difference {worst:.2g} "
        f"({'bitwise equal' if bitwise else 'not bitwise equal'}; tolerance {LOSS_RTOL:g})"
    )
    median_gw = statistics.median(gw.seconds)
    median_ref = statistics.median(ref.seconds)
    paired = statistics.median(r / g for r, g in zip(ref.seconds, gw.seconds))  # same document
    print(f"  {'gradwalk':<22} {median_gw * 1e3:9.1f} ms/step (median)")
    print(f"  {'reference engine':<22} {median_ref * 1e3:9.1f} ms/step (median)")
    print(f"  gradwalk / reference: {median_gw / median_ref:6.2f}")
    print(
        f"  reference / gradwalk: {median_ref / median_gw:6.2f}×  "
        f"(median of per-step ratios {paired:.2f}×; goal ≥ 3×)"
    )


if __name__ == "__main__":
    main()
